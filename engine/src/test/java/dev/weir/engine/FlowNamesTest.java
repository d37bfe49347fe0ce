package dev.weir.engine;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Names a flow cannot have, refused when it is defined, with the reason. */
class FlowNamesTest {

    private static Flow withStages(String... stages) {
        return Flow.define("f", f -> {
            for (String stage : stages) {
                f.stage(stage).task("t_" + Integer.toHexString(stage.hashCode())).produces(ctx -> 1L);
            }
        });
    }

    /** Each would share its schema with the transaction of stage {@code x} in some store. */
    @ParameterizedTest
    @ValueSource(strings = {"x__tx", "x__old", "x__odd", "x__even", "X__ODD", "x__Tx"})
    void aStageNamedLikeAnotherStagesInternalSchemaIsRefused(String name) {
        FlowDefinitionException e = assertThrows(FlowDefinitionException.class, () -> withStages("x", name));
        assertTrue(e.getMessage().contains("stage '" + name + "'") && e.getMessage().contains("must not end with")
                && e.getMessage().contains("Rename the stage"), e.getMessage());
    }

    @Test
    void aStageNamedLikeTheMetadataSchemaIsRefused() {
        FlowDefinitionException e = assertThrows(FlowDefinitionException.class, () -> withStages("Weir_Metadata"));
        assertTrue(e.getMessage().contains("metadata"), e.getMessage());
    }

    @Test
    void stagesDifferingOnlyInCaseAreRefused() {
        FlowDefinitionException e = assertThrows(FlowDefinitionException.class, () -> withStages("raw", "RAW"));
        assertTrue(e.getMessage().contains("only in case"), e.getMessage());
    }

    @ParameterizedTest
    @ValueSource(strings = {"", " "})
    void emptyNamesAreRefused(String name) {
        assertThrows(FlowDefinitionException.class, () -> withStages(name));
        assertThrows(FlowDefinitionException.class, () -> Flow.define("f", f ->
                f.stage("s").task("t").outputs("a", name).produces(ctx -> Outputs.of(1L, 2L))));
        assertThrows(FlowDefinitionException.class, () -> Flow.define("f", f ->
                f.stage("s").task(name).produces(ctx -> 1L)));
    }

    @Test
    void outputsOfOneStageDifferingOnlyInCaseAreRefused() {
        FlowDefinitionException e = assertThrows(FlowDefinitionException.class, () -> Flow.define("f", f -> {
            Stage s = f.stage("s");
            s.task("orders").produces(ctx -> 1L);
            s.task("Orders").produces(ctx -> 1L);
        }));
        assertTrue(e.getMessage().contains("ignoring case"), e.getMessage());
    }

    @Test
    void ordinaryNamesWithDoubleUnderscoresStayAllowed() {
        withStages("x", "x__y", "tx", "odd_stage", "my__txt");
    }
}
