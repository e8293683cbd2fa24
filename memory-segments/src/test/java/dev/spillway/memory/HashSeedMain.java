package dev.spillway.memory;

/** Child JVM of {@link HashingTest}: prints this process's hash seed. */
public final class HashSeedMain {
    private HashSeedMain() {
    }

    /** Prints {@link Hashing#seed()}. */
    public static void main(String[] args) {
        System.out.println(Hashing.seed());
    }
}
