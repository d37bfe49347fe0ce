package dev.weir.engine.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.math.BigDecimal;
import java.util.List;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.types.FloatingPointPrecision;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.FieldType;
import org.apache.arrow.vector.types.pojo.Schema;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Rows to Arrow and back: every value arrives as it was, or is refused; none is rounded or cut. */
class RowsTest {

    private final BufferAllocator allocator = new RootAllocator();

    @AfterEach
    void noLeak() {
        allocator.close();
    }

    private List<Object> roundTrip(Rows rows, String column) {
        try (ArrowTable table = rows.toArrow(allocator)) {
            return Rows.fromArrow(table).stream().map(r -> r.get(column)).toList();
        }
    }

    @Test
    void aColumnOfIntegersOfSeveralWidthsTakesTheWidest() {
        Rows rows = Rows.builder("n").add(1).add(3_000_000_000L).add((short) 2).build();
        assertEquals(new ArrowType.Int(64, true), rows.schema().getFields().get(0).getType());
        assertEquals(List.of(1L, 3_000_000_000L, 2L), roundTrip(rows, "n"));
    }

    @Test
    void integersAndFloatingPointNumbersMakeADouble() {
        Rows rows = Rows.builder("x").add(0).add(2.5).build();
        assertEquals(new ArrowType.FloatingPoint(FloatingPointPrecision.DOUBLE), rows.schema().getFields().get(0).getType());
        assertEquals(List.of(0.0, 2.5), roundTrip(rows, "x"));
    }

    @Test
    void decimalsKeepTheLargestScaleOfTheColumn() {
        Rows rows = Rows.builder("amount").add(new BigDecimal("1.5")).add((Object) null).add(new BigDecimal("2.25")).add(7L).build();
        assertEquals(new ArrowType.Decimal(38, 2, 128), rows.schema().getFields().get(0).getType());
        assertEquals(java.util.Arrays.asList(new BigDecimal("1.50"), null, new BigDecimal("2.25"), new BigDecimal("7.00")),
                roundTrip(rows, "amount"));
    }

    @Test
    void aValueItsDeclaredColumnCannotHoldExactlyIsRefusedNamingTheColumn() {
        Schema ints = new Schema(List.of(new Field("n", FieldType.nullable(new ArrowType.Int(32, true)), null)));
        IllegalArgumentException tooLarge = assertThrows(IllegalArgumentException.class,
                () -> Rows.builder(ints).add(3_000_000_000L).build().toArrow(allocator).close());
        assertTrue(tooLarge.getMessage().contains("column 'n'") && tooLarge.getMessage().contains("3000000000"),
                tooLarge.getMessage());
        IllegalArgumentException fraction = assertThrows(IllegalArgumentException.class,
                () -> Rows.builder(ints).add(2.5).build().toArrow(allocator).close());
        assertTrue(fraction.getMessage().contains("column 'n'") && fraction.getMessage().contains("2.5"),
                fraction.getMessage());
        assertEquals(List.of(3L), roundTrip(Rows.builder(ints).add(3.0).build(), "n").stream()
                .map(v -> ((Number) v).longValue()).toList());
    }

    @Test
    void aColumnMixingNumbersAndTextIsRefusedNamingIt() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Rows.builder("v").add(1L).add("one").build().schema());
        assertTrue(e.getMessage().contains("column 'v'"), e.getMessage());
    }

    @Test
    void listColumnsGoToArrowAndBackWithTheirNullsAndEmptyLists() {
        Rows rows = Rows.builder("id", "tags", "scores").add(1L, List.of("a", "b"), List.of(List.of(1L, 2L), List.of()))
                .add(2L, null, null)
                .add(3L, List.of(), java.util.Arrays.asList(List.of(3_000_000_000L), null))
                .add(4L, java.util.Arrays.asList("c", null), List.of(java.util.Arrays.asList(5, null)))
                .build();
        Field tags = rows.schema().getFields().get(1);
        assertEquals(ArrowType.List.INSTANCE, tags.getType());
        assertEquals(ArrowType.Utf8.INSTANCE, tags.getChildren().get(0).getType());
        assertEquals(new ArrowType.Int(64, true),
                rows.schema().getFields().get(2).getChildren().get(0).getChildren().get(0).getType());
        try (ArrowTable table = rows.toArrow(allocator)) {
            Rows back = Rows.fromArrow(table);
            assertEquals(rows.stream().map(r -> r.get("tags")).toList(), back.stream().map(r -> r.get("tags")).toList());
            assertEquals(java.util.Arrays.asList(List.of(List.of(1L, 2L), List.of()), null,
                    java.util.Arrays.asList(List.of(3_000_000_000L), null), List.of(java.util.Arrays.asList(5L, null))),
                    back.stream().map(r -> r.get("scores")).toList());
            // read from a store, a list column is written back as it came
            try (ArrowTable again = back.map(r -> r).toArrow(allocator)) {
                assertEquals(back, Rows.fromArrow(again));
            }
        }
    }

    @Test
    void aColumnMixingListsAndOtherValuesIsRefusedNamingIt() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Rows.builder("v").add(List.of(1L)).add(2L).build().schema());
        assertTrue(e.getMessage().contains("column 'v'") && e.getMessage().contains("lists"), e.getMessage());
    }

    @Test
    void timesUnsignedIntegersIntervalsAndStructsOfAStoresSchemaGoToArrowAndBack() {
        Field struct = new Field("st", FieldType.nullable(ArrowType.Struct.INSTANCE), List.of(
                new Field("k", FieldType.nullable(new ArrowType.Int(32, true)), null),
                new Field("name", FieldType.nullable(ArrowType.Utf8.INSTANCE), null)));
        Schema schema = new Schema(List.of(
                new Field("tm", FieldType.nullable(new ArrowType.Time(org.apache.arrow.vector.types.TimeUnit.MICROSECOND, 64)), null),
                new Field("ms", FieldType.nullable(new ArrowType.Time(org.apache.arrow.vector.types.TimeUnit.MILLISECOND, 32)), null),
                new Field("u8", FieldType.nullable(new ArrowType.Int(8, false)), null),
                new Field("u64", FieldType.nullable(new ArrowType.Int(64, false)), null),
                new Field("iv", FieldType.nullable(new ArrowType.Interval(org.apache.arrow.vector.types.IntervalUnit.MONTH_DAY_NANO)), null),
                struct));
        java.util.Map<String, Object> st = new java.util.LinkedHashMap<>();
        st.put("k", 1);
        st.put("name", null);
        org.apache.arrow.vector.PeriodDuration interval = new org.apache.arrow.vector.PeriodDuration(
                java.time.Period.of(0, 14, 3), java.time.Duration.ofNanos(1_500));
        Rows rows = Rows.builder(schema)
                .add(java.time.LocalTime.of(10, 11, 12, 345_678_000), java.time.LocalTime.of(1, 2, 3, 4_000_000), 200,
                        new BigDecimal("18446744073709551615"), interval, st)
                .add(null, null, null, null, null, null)
                .build();
        try (ArrowTable table = rows.toArrow(allocator)) {
            Rows back = Rows.fromArrow(table);
            assertEquals(rows.get(0).values().subList(0, 3).stream().map(v -> v instanceof Integer i ? (short) (int) i : v)
                    .toList(), back.get(0).values().subList(0, 3));
            assertEquals(new BigDecimal("18446744073709551615"), back.get(0).get("u64"));
            assertEquals(interval, back.get(0).get("iv"));
            assertEquals(st, back.get(0).get("st"));
            assertEquals(java.util.Arrays.asList(null, null, null, null, null, null), back.get(1).values());
            try (ArrowTable again = back.toArrow(allocator)) {
                assertEquals(back, Rows.fromArrow(again));
            }
        }
        IllegalArgumentException negative = assertThrows(IllegalArgumentException.class,
                () -> Rows.builder(new Schema(List.of(schema.getFields().get(2)))).add(-1).build().toArrow(allocator).close());
        assertTrue(negative.getMessage().contains("column 'u8'"), negative.getMessage());
    }
}
