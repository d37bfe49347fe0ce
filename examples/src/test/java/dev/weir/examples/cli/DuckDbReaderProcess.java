package dev.weir.examples.cli;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.Properties;

/**
 * A reader of a DuckDB file in a process of its own, as a {@code duckdb -readonly} shell would be: opens
 * the file read-only, prints {@code reader: tables <n>} (the tables and views of the schemas starting with
 * the given prefix), holds the file until a line arrives on standard input, then prints
 * {@code reader: closed}.
 *
 * <p>Arguments: the database file, the schema prefix.
 */
final class DuckDbReaderProcess {

    private DuckDbReaderProcess() {
    }

    public static void main(String[] args) throws Exception {
        Properties readOnly = new Properties();
        readOnly.setProperty("access_mode", "READ_ONLY");
        try (Connection connection = DriverManager.getConnection("jdbc:duckdb:" + args[0], readOnly);
             Statement statement = connection.createStatement();
             ResultSet rows = statement.executeQuery("SELECT count(*) FROM information_schema.tables"
                     + " WHERE starts_with(table_schema, '" + args[1].replace("'", "''") + "')")) {
            rows.next();
            System.out.println("reader: tables " + rows.getLong(1));
            System.out.flush();
            new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8)).readLine();
        }
        System.out.println("reader: closed");
        System.out.flush();
    }
}
