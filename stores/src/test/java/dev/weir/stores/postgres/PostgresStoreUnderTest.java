package dev.weir.stores.postgres;

import dev.weir.engine.store.TableLocation;
import dev.weir.engine.store.TableStore;
import dev.weir.stores.conformance.StoreUnderTest;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Map;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.FieldType;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * The PostgreSQL store for the conformance suite, on the server {@link PostgresTestServer} finds. A
 * conformance class's PostgreSQL subclass registers one in a static field
 * ({@code @RegisterExtension}): it connects before the class's tests, gives each test its own schema
 * prefix (so tests never see each other's stages), and drops the class's schemas after them.
 */
final class PostgresStoreUnderTest implements StoreUnderTest, BeforeAllCallback, AfterEachCallback, AfterAllCallback {

    private PostgresTestServer server;
    private Integer savedVersion;

    @Override
    public void beforeAll(ExtensionContext context) {
        server = PostgresTestServer.require();
    }

    /** Each test has its own work directory, so its own schema prefix: tests never see each other's stages. */
    @Override
    public TableStore open(String instanceId, Path workDir) {
        String perTest = server.prefix() + Integer.toHexString(workDir.hashCode()) + "_" + instanceId + "_";
        return PostgresTableStore.open(server.settings(instanceId, perTest, Map.of()), server.env());
    }

    /** PostgreSQL's smallest integer is smallint: Int8 columns come back as Int16. */
    @Override
    public Field asRead(Field written) {
        if (written.getType() instanceof ArrowType.Int i && i.getBitWidth() == 8) {
            return new Field(written.getName(), new FieldType(written.isNullable(), new ArrowType.Int(16, i.getIsSigned()),
                    null), null);
        }
        return written;
    }

    @Override
    public int indexCount(TableStore store, TableLocation location) {
        try (Connection c = server.connection(); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT count(*) FROM pg_index i JOIN pg_class t ON t.oid = i.indrelid"
                     + " JOIN pg_namespace n ON n.oid = t.relnamespace WHERE NOT i.indisprimary AND n.nspname = '"
                     + location.schema().replace("'", "''") + "' AND t.relname = '"
                     + location.table().replace("'", "''") + "'")) {
            rs.next();
            return rs.getInt(1);
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The metadata schema is shared by every instance on the server: remember the version to restore it. */
    @Override
    public void corruptMetadataVersion(TableStore store) {
        try (Connection c = server.connection(); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT version FROM weir_metadata.version")) {
            rs.next();
            savedVersion = rs.getInt(1);
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
        StoreUnderTest.super.corruptMetadataVersion(store);
    }

    @Override
    public void afterEach(ExtensionContext context) throws SQLException {
        if (savedVersion != null) {
            try (Connection c = server.connection(); Statement s = c.createStatement()) {
                s.execute("UPDATE weir_metadata.version SET version = " + savedVersion);
            }
            savedVersion = null;
        }
    }

    @Override
    public void afterAll(ExtensionContext context) throws SQLException {
        if (server != null) {
            server.dropAll();
        }
    }
}
