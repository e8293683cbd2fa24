package dev.spillway.operators;

import java.nio.file.Path;

/**
 * A sink that writes its output under a temporary name and moves it into place when the query
 * succeeds. The engine records {@link #stagingPath()} while the query runs, so that an engine
 * started after this process was killed can delete what the sink left.
 */
public interface StagedOutput {
    /** The temporary file or staging directory the sink writes; deleted or moved into place when the sink closes. */
    Path stagingPath();
}
