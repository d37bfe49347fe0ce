package dev.weir.stores.postgres;

import java.math.BigDecimal;

/**
 * PostgreSQL's binary {@code numeric} format: a header of four int16 — number of digits, weight of
 * the first digit (in powers of 10000), sign, display scale — followed by base-10000 digits, most
 * significant first, without leading or trailing zero digits.
 */
final class PgNumeric {

    private static final short POSITIVE = 0x0000;
    private static final short NEGATIVE = 0x4000;
    private static final java.math.BigInteger TEN_THOUSAND = java.math.BigInteger.valueOf(10_000);

    private PgNumeric() {
    }

    /** Writes {@code value} as one COPY field (length prefix included). */
    static void write(BigDecimal value, CopyBuffer out) throws java.sql.SQLException {
        short[] encoded = encode(value);
        out.ensure(4 + 2 * encoded.length);
        out.putInt(2 * encoded.length);
        for (short s : encoded) {
            out.putShort(s);
        }
    }

    /** The header and digits of {@code value}, as int16 values. */
    static short[] encode(BigDecimal value) {
        BigDecimal v = value.scale() < 0 ? value.setScale(0) : value;
        int dscale = v.scale();
        String plain = v.abs().toPlainString();
        int dot = plain.indexOf('.');
        String integer = dot < 0 ? plain : plain.substring(0, dot);
        String fraction = dot < 0 ? "" : plain.substring(dot + 1);
        // Align both parts on groups of four decimal digits around the decimal point.
        int intPad = (4 - integer.length() % 4) % 4;
        int fracPad = (4 - fraction.length() % 4) % 4;
        String digits = "0".repeat(intPad) + integer + fraction + "0".repeat(fracPad);
        int groups = digits.length() / 4;
        int intGroups = (integer.length() + intPad) / 4;
        short[] base = new short[groups];
        for (int g = 0; g < groups; g++) {
            base[g] = (short) Integer.parseInt(digits, 4 * g, 4 * g + 4, 10);
        }
        int first = 0;
        while (first < groups && base[first] == 0) {
            first++;
        }
        int last = groups - 1;
        while (last >= first && base[last] == 0) {
            last--;
        }
        int ndigits = last - first + 1;
        if (ndigits <= 0) {
            return new short[] {0, 0, POSITIVE, (short) dscale};
        }
        short weight = (short) (intGroups - 1 - first);
        short[] out = new short[4 + ndigits];
        out[0] = (short) ndigits;
        out[1] = weight;
        out[2] = v.signum() < 0 ? NEGATIVE : POSITIVE;
        out[3] = (short) dscale;
        System.arraycopy(base, first, out, 4, ndigits);
        return out;
    }

    /**
     * The value of one field in this format: {@code ndigits} base-10000 digits read by {@code digit}, the
     * first of weight {@code weight}, at display scale {@code dscale}.
     *
     * @throws ArithmeticException for NaN and the infinities, which BigDecimal cannot hold
     */
    static BigDecimal decode(int ndigits, int weight, int sign, int dscale, java.util.function.IntUnaryOperator digit) {
        if (sign != POSITIVE && sign != NEGATIVE) {
            throw new ArithmeticException(sign == 0xC000 ? "NaN" : (sign == 0xD000 ? "Infinity"
                    : sign == 0xF000 ? "-Infinity" : "a numeric with sign word " + Integer.toHexString(sign)));
        }
        if (ndigits == 0) {
            return BigDecimal.ZERO.setScale(dscale);
        }
        long small = 0;
        java.math.BigInteger big = null;
        for (int i = 0; i < ndigits; i++) {
            int d = digit.applyAsInt(i);
            if (big == null && small < 100_000_000_000_000L) {
                small = small * 10_000 + d;
            } else {
                big = (big == null ? java.math.BigInteger.valueOf(small) : big).multiply(TEN_THOUSAND)
                        .add(java.math.BigInteger.valueOf(d));
            }
        }
        BigDecimal unscaled = big == null ? BigDecimal.valueOf(small) : new BigDecimal(big);
        // The last digit has weight (weight - ndigits + 1), in powers of 10000.
        BigDecimal value = unscaled.scaleByPowerOfTen(4 * (weight - ndigits + 1));
        value = sign == NEGATIVE ? value.negate() : value;
        return value.scale() > dscale ? value.setScale(dscale, java.math.RoundingMode.UNNECESSARY)
                : value.setScale(dscale);
    }
}
