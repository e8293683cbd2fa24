package dev.spillway.examples;

import java.io.BufferedWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** The example's dataset: a CSV of orders ({@code order_id,customer,amount}) generated from a formula. */
public final class Orders {
    /** Customers the orders are spread over. */
    public static final int CUSTOMERS = 50;

    private Orders() {
    }

    /** The customer of order {@code i}. */
    public static String customer(long i) {
        return "customer-" + (i * 7919 % CUSTOMERS);
    }

    /** The amount of order {@code i}, 1 to 997. */
    public static long amount(long i) {
        return i * 31 % 997 + 1;
    }

    /** Writes {@code rows} orders to {@code file} and returns it. */
    public static Path write(Path file, long rows) {
        try (BufferedWriter w = Files.newBufferedWriter(file)) {
            w.write("order_id,customer,amount\n");
            for (long i = 0; i < rows; i++) {
                w.write(i + "," + customer(i) + "," + amount(i) + "\n");
            }
            return file;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
