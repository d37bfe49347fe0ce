package dev.weir.engine.data;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.BiFunction;

/**
 * One row of {@link Rows}: values by column name or position. Immutable.
 */
public final class Row {

    private final Columns columns;
    private final List<Object> values;

    Row(Columns columns, List<Object> values) {
        this.columns = columns;
        if (values.size() != columns.names().size()) {
            throw new IllegalArgumentException("a row of " + columns.names().size() + " columns "
                    + columns.names() + " got " + values.size() + " values " + values);
        }
        this.values = Collections.unmodifiableList(new ArrayList<>(values));
    }

    public List<String> columns() {
        return columns.names();
    }

    public List<Object> values() {
        return values;
    }

    public Object get(int index) {
        return values.get(index);
    }

    public Object get(String column) {
        return values.get(columns.indexOf(column));
    }

    public Long getLong(String column) {
        Object v = get(column);
        return v == null ? null : ((Number) v).longValue();
    }

    public Double getDouble(String column) {
        Object v = get(column);
        return v == null ? null : ((Number) v).doubleValue();
    }

    public String getString(String column) {
        Object v = get(column);
        return v == null ? null : v.toString();
    }

    /** A row with every value replaced by {@code f(column, value)}. */
    public Row map(BiFunction<String, Object, Object> f) {
        List<Object> mapped = new ArrayList<>(values.size());
        for (int i = 0; i < values.size(); i++) {
            mapped.add(f.apply(columns.names().get(i), values.get(i)));
        }
        return new Row(columns, mapped);
    }

    /** A row with one value replaced. */
    public Row with(String column, Object value) {
        List<Object> copy = new ArrayList<>(values);
        copy.set(columns.indexOf(column), value);
        return new Row(columns, copy);
    }

    public Map<String, Object> asMap() {
        Map<String, Object> map = new java.util.LinkedHashMap<>();
        for (int i = 0; i < values.size(); i++) {
            map.put(columns.names().get(i), values.get(i));
        }
        return map;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Row r && r.columns.names().equals(columns.names()) && r.values.equals(values);
    }

    @Override
    public int hashCode() {
        return Objects.hash(columns.names(), values);
    }

    @Override
    public String toString() {
        return asMap().toString();
    }

    /** Column names with their positions, shared by all rows of one {@link Rows}. */
    record Columns(List<String> names, Map<String, Integer> positions) {
        static Columns of(List<String> names) {
            Map<String, Integer> positions = new java.util.HashMap<>();
            for (int i = 0; i < names.size(); i++) {
                if (positions.put(names.get(i), i) != null) {
                    throw new IllegalArgumentException("duplicate column name '" + names.get(i) + "' in " + names);
                }
            }
            return new Columns(List.copyOf(names), Map.copyOf(positions));
        }

        int indexOf(String column) {
            Integer i = positions.get(column);
            if (i == null) {
                throw new IllegalArgumentException("no column '" + column + "'; the columns are " + names);
            }
            return i;
        }
    }
}
