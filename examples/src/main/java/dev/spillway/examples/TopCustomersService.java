package dev.spillway.examples;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.spillway.DataFrame;
import dev.spillway.LazyFrame;
import dev.spillway.SortKey;
import dev.spillway.Spillway;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import static dev.spillway.Expr.col;

/**
 * An HTTP service with one Spillway engine for the whole process. {@code GET /top?n=5} answers
 * the {@code n} customers with the largest order totals, as JSON, by running a query over a CSV of
 * orders: scan, group by customer, sum the amounts, top {@code n}. Each query runs on a small pool
 * of query threads and has a deadline; past it the query is cancelled (interrupting the thread
 * that runs a query cancels it and frees its memory and spill files) and the client gets 504.
 *
 * <p>The engine's memory cap bounds what all concurrent requests hold together; a query that
 * needs more spills to disk instead of failing. Settings not given to the builder come from
 * {@code -Dspillway.*} properties or {@code SPILLWAY_*} variables (e.g. {@code SPILLWAY_THREADS}).
 */
public final class TopCustomersService implements AutoCloseable {
    /** Most rows a request may ask for. */
    static final int MAX_N = 1000;

    private final Spillway engine;
    private final Path orders;
    private final Duration deadline;
    private final ExecutorService queries;
    private final HttpServer server;

    /**
     * Starts the service on {@code port} (0: any free port) over the orders CSV {@code orders}.
     *
     * @param deadline how long one request's query may run
     */
    public TopCustomersService(int port, Path orders, Duration deadline) throws IOException {
        this.orders = orders;
        this.deadline = deadline;
        this.engine = Spillway.builder().memoryLimit("256m").build();
        // At most two queries at once; more requests wait in the queue, within their deadline.
        this.queries = Executors.newFixedThreadPool(2);
        try {
            this.server = HttpServer.create(new InetSocketAddress("127.0.0.1", port), 0);
        } catch (IOException e) {
            queries.shutdown();
            engine.close();
            throw e;
        }
        server.createContext("/top", this::top);
        server.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
        server.start();
    }

    /** The port the service listens on. */
    public int port() {
        return server.getAddress().getPort();
    }

    /** The query of one request: the {@code n} customers with the largest totals. */
    LazyFrame topCustomers(int n) {
        return engine.scanCsv(orders)
                .groupBy("customer")
                .agg(col("amount").sum().alias("total"))
                .topK(n, SortKey.desc("total"), SortKey.asc("customer"));
    }

    private void top(HttpExchange exchange) throws IOException {
        try (exchange) {
            if (!exchange.getRequestMethod().equals("GET")) {
                send(exchange, 405, "{\"error\":\"use GET\"}");
                return;
            }
            int n;
            try {
                n = parseN(exchange.getRequestURI());
            } catch (IllegalArgumentException e) {
                send(exchange, 400, "{\"error\":" + json(e.getMessage()) + "}");
                return;
            }
            // The query runs on a query thread so that this one can stop waiting at the deadline.
            Future<String> answer = queries.submit(() -> {
                try (DataFrame df = topCustomers(n).collect()) {
                    return toJson(df);
                }
            });
            try {
                send(exchange, 200, answer.get(deadline.toMillis(), TimeUnit.MILLISECONDS));
            } catch (TimeoutException e) {
                answer.cancel(true);
                send(exchange, 504, "{\"error\":\"the query did not finish within " + deadline.toMillis() + " ms\"}");
            } catch (ExecutionException e) {
                send(exchange, 500, "{\"error\":" + json(String.valueOf(e.getCause())) + "}");
            } catch (InterruptedException e) {
                answer.cancel(true);
                Thread.currentThread().interrupt();
                send(exchange, 503, "{\"error\":\"shutting down\"}");
            }
        }
    }

    /** The {@code n} query parameter: 1 to {@value #MAX_N}, default 5. */
    static int parseN(URI uri) {
        String query = uri.getRawQuery();
        if (query == null) {
            return 5;
        }
        for (String pair : query.split("&")) {
            if (pair.startsWith("n=")) {
                String value = pair.substring(2);
                int n;
                try {
                    n = Integer.parseInt(value);
                } catch (NumberFormatException e) {
                    throw new IllegalArgumentException("n must be a whole number from 1 to " + MAX_N + ", got '" + value + "'");
                }
                if (n < 1 || n > MAX_N) {
                    throw new IllegalArgumentException("n must be a whole number from 1 to " + MAX_N + ", got " + n);
                }
                return n;
            }
        }
        return 5;
    }

    /** The result as a JSON array of {@code {"customer": ..., "total": ...}} objects, one per line. */
    static String toJson(DataFrame df) {
        StringBuilder sb = new StringBuilder("[");
        for (long r = 0; r < df.rowCount(); r++) {
            sb.append(r == 0 ? "\n" : ",\n")
                    .append("{\"customer\":").append(json(df.getString(r, "customer")))
                    .append(",\"total\":").append(df.getLong(r, "total")).append('}');
        }
        return sb.append("\n]\n").toString();
    }

    private static String json(String s) {
        StringBuilder sb = new StringBuilder("\"");
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> sb.append("\\\"");
                case '\\' -> sb.append("\\\\");
                default -> {
                    if (c < 0x20) {
                        sb.append(String.format("\\u%04x", (int) c));
                    } else {
                        sb.append(c);
                    }
                }
            }
        }
        return sb.append('"').toString();
    }

    private static void send(HttpExchange exchange, int status, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", "application/json; charset=utf-8");
        exchange.sendResponseHeaders(status, bytes.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(bytes);
        }
    }

    /** Stops taking requests, cancels the running queries and closes the engine. */
    @Override
    public void close() {
        server.stop(0);
        queries.shutdownNow();
        engine.close();
    }

    /**
     * Runs the service: {@code java --enable-native-access=ALL-UNNAMED -cp ...
     * dev.spillway.examples.TopCustomersService [port]}, then {@code curl 'localhost:8080/top?n=5'}.
     */
    public static void main(String[] args) throws IOException {
        int port = args.length > 0 ? Integer.parseInt(args[0]) : 8080;
        Path dir = Files.createTempDirectory("spillway-example");
        Path csv = Orders.write(dir.resolve("orders.csv"), 1_000_000);
        TopCustomersService service = new TopCustomersService(port, csv, Duration.ofSeconds(10));
        Runtime.getRuntime().addShutdownHook(new Thread(service::close));
        System.out.println("listening on http://127.0.0.1:" + service.port() + "/top?n=5 (orders in " + csv + ")");
    }
}
