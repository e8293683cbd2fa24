package dev.spillway.examples;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Starts the service on a free port and asks it over HTTP, as a client would. */
class TopCustomersServiceTest {
    private static final long ROWS = 100_000;

    private static HttpResponse<String> get(HttpClient client, TopCustomersService service, String pathAndQuery)
            throws Exception {
        HttpRequest request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + service.port() + pathAndQuery))
                .timeout(Duration.ofSeconds(30)).build();
        return client.send(request, HttpResponse.BodyHandlers.ofString());
    }

    /** The answer computed from the data's formula with plain Java, not with Spillway. */
    private static String expected(int n) {
        Map<String, Long> totals = new TreeMap<>();
        for (long i = 0; i < ROWS; i++) {
            totals.merge(Orders.customer(i), Orders.amount(i), Long::sum);
        }
        List<Map.Entry<String, Long>> top = totals.entrySet().stream()
                .sorted(Map.Entry.<String, Long>comparingByValue(Comparator.reverseOrder()).thenComparing(Map.Entry.comparingByKey()))
                .limit(n).toList();
        StringBuilder sb = new StringBuilder("[");
        for (int i = 0; i < top.size(); i++) {
            sb.append(i == 0 ? "\n" : ",\n").append("{\"customer\":\"").append(top.get(i).getKey())
                    .append("\",\"total\":").append(top.get(i).getValue()).append('}');
        }
        return sb.append("\n]\n").toString();
    }

    @Test
    void answersTheTopCustomersOfEachRequest(@TempDir Path dir) throws Exception {
        Path csv = Orders.write(dir.resolve("orders.csv"), ROWS);
        try (TopCustomersService service = new TopCustomersService(0, csv, Duration.ofSeconds(30));
                HttpClient client = HttpClient.newHttpClient()) {
            HttpResponse<String> five = get(client, service, "/top?n=5");
            assertEquals(200, five.statusCode(), five.body());
            assertEquals(expected(5), five.body());
            assertTrue(five.headers().firstValue("Content-Type").orElse("").startsWith("application/json"));

            // The same engine answers the next request; n=1000 is more than the 50 customers.
            HttpResponse<String> all = get(client, service, "/top?n=1000");
            assertEquals(200, all.statusCode(), all.body());
            assertEquals(expected(1000), all.body());
            assertEquals(expected(5), get(client, service, "/top").body(), "n defaults to 5");

            HttpResponse<String> bad = get(client, service, "/top?n=zero");
            assertEquals(400, bad.statusCode());
            assertEquals("{\"error\":\"n must be a whole number from 1 to 1000, got 'zero'\"}", bad.body());
        }
    }

    @Test
    void aQueryPastItsDeadlineIsCancelledAndAnswered504(@TempDir Path dir) throws Exception {
        Path csv = Orders.write(dir.resolve("orders.csv"), ROWS);
        try (TopCustomersService service = new TopCustomersService(0, csv, Duration.ZERO);
                HttpClient client = HttpClient.newHttpClient()) {
            HttpResponse<String> late = get(client, service, "/top?n=5");
            assertEquals(504, late.statusCode(), late.body());
            assertEquals("{\"error\":\"the query did not finish within 0 ms\"}", late.body());
        }
    }
}
