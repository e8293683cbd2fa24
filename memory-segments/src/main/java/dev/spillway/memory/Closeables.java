package dev.spillway.memory;

/** Closing several owners of resources so that one failure does not leak the others. */
public final class Closeables {
    private Closeables() {
    }

    /**
     * Closes every item, in order, even when some fail.
     *
     * @throws RuntimeException the first failure, with later ones attached as suppressed (a
     *                          checked exception is wrapped in an IllegalStateException)
     */
    public static void closeAll(Iterable<? extends AutoCloseable> items) {
        RuntimeException first = null;
        for (AutoCloseable c : items) {
            try {
                c.close();
            } catch (Exception e) {
                RuntimeException r = e instanceof RuntimeException re ? re
                        : new IllegalStateException("close failed: " + e.getMessage(), e);
                if (first == null) {
                    first = r;
                } else {
                    first.addSuppressed(r);
                }
            }
        }
        if (first != null) {
            throw first;
        }
    }
}
