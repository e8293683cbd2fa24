import dev.spillway.memory.Bytes;

/** Prints the bytes of a size such as 1g (for shell scripts). */
public final class Size {
    public static void main(String[] args) {
        System.out.println(Bytes.parse(args[0]));
    }
}
