package dev.weir.engine;

import com.typesafe.config.Config;
import dev.weir.engine.config.InstanceConfig;

/** What a {@link CacheFunction} may look at. */
public interface CacheContext {

    /** The instance being run. */
    InstanceConfig config();

    /** The instance's free-form attributes. */
    default Config attrs() {
        return config().attrs();
    }

    /** The stage of the task whose key is being computed. */
    String stage();

    /** The task whose key is being computed. */
    String task();
}
