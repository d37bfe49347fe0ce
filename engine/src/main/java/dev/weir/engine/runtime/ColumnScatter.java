package dev.weir.engine.runtime;

import org.apache.arrow.memory.ArrowBuf;
import org.apache.arrow.vector.BaseFixedWidthVector;
import org.apache.arrow.vector.BaseVariableWidthVector;
import org.apache.arrow.vector.BitVector;
import org.apache.arrow.vector.BitVectorHelper;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.VectorSchemaRoot;

/**
 * Scatters the rows of one batch among the buffers of their chunks, column by column ({@link ChunkRoutes}'
 * splitting threads): the bulk of splitting a scan, so plain columns are copied by their bytes rather than
 * value by value through {@code copyFromSafe}.
 */
final class ColumnScatter {

    private ColumnScatter() {
    }

    /**
     * Appends each routed row of {@code scan} to its chunk's buffer, after the rows already there: a
     * fixed-width column by its bytes and validity bits ({@link #copyFixed}), a text or binary one by its
     * offsets and bytes ({@link #copyVariable}), any other through {@code copyFromSafe}.
     *
     * @param chunkOf each row's chunk, or -1 for a row no chunk takes
     * @param filled  the rows each chunk's buffer holds already
     * @param counts  the rows of {@code scan} each chunk takes
     */
    static void copy(VectorSchemaRoot scan, int[] chunkOf, VectorSchemaRoot[] buffers, int[] filled,
                             int[] counts) {
        int[] at = new int[buffers.length];
        for (int c = 0; c < scan.getFieldVectors().size(); c++) {
            FieldVector from = scan.getVector(c);
            FieldVector[] to = new FieldVector[buffers.length];
            for (int p = 0; p < buffers.length; p++) {
                to[p] = buffers[p] == null ? null : buffers[p].getVector(c);
            }
            System.arraycopy(filled, 0, at, 0, filled.length);
            if (from instanceof BaseFixedWidthVector fixed && !(from instanceof BitVector)
                    && from.getMinorType() != org.apache.arrow.vector.types.Types.MinorType.EXTENSIONTYPE) {
                copyFixed(fixed, chunkOf, to, at, counts);
                continue;
            }
            if (from instanceof BaseVariableWidthVector variable) {
                copyVariable(variable, chunkOf, to, at, counts);
                continue;
            }
            for (int r = 0; r < chunkOf.length; r++) {
                int p = chunkOf[r];
                if (p >= 0) {
                    to[p].copyFromSafe(r, at[p]++, from);
                }
            }
        }
    }

    /**
     * Copies a fixed-width column's routed values by their bytes and validity bits: {@code copyFromSafe}
     * checks the capacity and calls through the vector's type for every value, the bulk of splitting a scan.
     * Each target grows first to hold its rows of this batch; its validity bits past its rows are zero (new
     * or {@code reset}).
     */
    private static void copyFixed(BaseFixedWidthVector from, int[] chunkOf, FieldVector[] to, int[] at, int[] counts) {
        for (int p = 0; p < to.length; p++) {
            if (to[p] != null && counts[p] > 0) {
                while (to[p].getValueCapacity() < at[p] + counts[p]) {
                    to[p].reAlloc();
                }
            }
        }
        int width = from.getTypeWidth();
        ArrowBuf data = from.getDataBuffer();
        ArrowBuf valid = from.getValidityBuffer();
        ArrowBuf[] toData = new ArrowBuf[to.length];
        ArrowBuf[] toValid = new ArrowBuf[to.length];
        for (int p = 0; p < to.length; p++) {
            if (to[p] != null) {
                toData[p] = to[p].getDataBuffer();
                toValid[p] = to[p].getValidityBuffer();
            }
        }
        for (int r = 0; r < chunkOf.length; r++) {
            int p = chunkOf[r];
            if (p < 0) {
                continue;
            }
            int i = at[p]++;
            if (BitVectorHelper.get(valid, r) == 0) {
                continue; // null: its validity bit stays zero, its value is never read
            }
            BitVectorHelper.setBit(toValid[p], i);
            long source = (long) r * width;
            long target = (long) i * width;
            switch (width) {
                case 8 -> toData[p].setLong(target, data.getLong(source));
                case 4 -> toData[p].setInt(target, data.getInt(source));
                case 2 -> toData[p].setShort(target, data.getShort(source));
                case 1 -> toData[p].setByte(target, data.getByte(source));
                default -> toData[p].setBytes(target, data, source, width);
            }
        }
    }

    /**
     * Copies a variable-width column's routed values (text, binary) by their offsets and bytes, as
     * {@link #copyFixed} does a fixed-width one: each target first grows to hold its rows and bytes of this
     * batch; a NULL or empty value repeats the previous offset. Each target's last set row is then its
     * last row, so that setting its value count keeps the offsets written here.
     */
    private static void copyVariable(BaseVariableWidthVector from, int[] chunkOf, FieldVector[] to, int[] at,
                                     int[] counts) {
        ArrowBuf offsets = from.getOffsetBuffer();
        ArrowBuf data = from.getDataBuffer();
        ArrowBuf valid = from.getValidityBuffer();
        long[] bytes = new long[to.length];
        for (int r = 0; r < chunkOf.length; r++) {
            int p = chunkOf[r];
            if (p >= 0) {
                bytes[p] += offsets.getInt((long) (r + 1) * 4) - offsets.getInt((long) r * 4);
            }
        }
        BaseVariableWidthVector[] targets = new BaseVariableWidthVector[to.length];
        ArrowBuf[] toOffsets = new ArrowBuf[to.length];
        ArrowBuf[] toData = new ArrowBuf[to.length];
        ArrowBuf[] toValid = new ArrowBuf[to.length];
        for (int p = 0; p < to.length; p++) {
            if (to[p] == null || counts[p] == 0) {
                continue;
            }
            BaseVariableWidthVector target = (BaseVariableWidthVector) to[p];
            targets[p] = target;
            while (target.getValueCapacity() < at[p] + counts[p]) {
                target.reallocValidityAndOffsetBuffers();
            }
            long end = target.getOffsetBuffer().getInt((long) at[p] * 4) + bytes[p];
            if (end > Integer.MAX_VALUE) {
                throw new IllegalStateException("a chunk's buffer of column '" + from.getName()
                        + "' would hold more than 2 GiB of values");
            }
            while (target.getDataBuffer().capacity() < end) {
                target.reallocDataBuffer();
            }
            toOffsets[p] = target.getOffsetBuffer();
            toData[p] = target.getDataBuffer();
            toValid[p] = target.getValidityBuffer();
        }
        for (int r = 0; r < chunkOf.length; r++) {
            int p = chunkOf[r];
            if (p < 0) {
                continue;
            }
            int i = at[p]++;
            int start = toOffsets[p].getInt((long) i * 4);
            int length = 0;
            if (BitVectorHelper.get(valid, r) != 0) {
                BitVectorHelper.setBit(toValid[p], i);
                int from0 = offsets.getInt((long) r * 4);
                length = offsets.getInt((long) (r + 1) * 4) - from0;
                if (length > 0) {
                    toData[p].setBytes(start, data, from0, length);
                }
            }
            toOffsets[p].setInt((long) (i + 1) * 4, start + length);
        }
        for (int p = 0; p < to.length; p++) {
            if (targets[p] != null) {
                targets[p].setLastSet(at[p] - 1);
            }
        }
    }
}
