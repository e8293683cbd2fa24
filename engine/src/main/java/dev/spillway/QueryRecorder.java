package dev.spillway;

import dev.spillway.event.EventSink;
import dev.spillway.event.MemoryReclaimed;
import dev.spillway.event.PartitionEvicted;
import dev.spillway.event.SpillwayEvent;
import dev.spillway.jfr.MemoryPressureEvent;
import dev.spillway.jfr.QueryFinishedEvent;
import dev.spillway.memory.MemoryBudget;
import dev.spillway.memory.MemoryManager;
import dev.spillway.memory.Spillable;
import dev.spillway.scheduler.Pipeline;
import dev.spillway.scheduler.PipelineStats;
import dev.spillway.scheduler.QueryHandle;
import dev.spillway.scheduler.QueryPlan;
import dev.spillway.scheduler.Sink;
import dev.spillway.spill.SpillDirectory;
import dev.spillway.spill.SpillStats;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

/**
 * Records one query run for its {@link QueryProfile}: the events it reports (with their time),
 * memory-pressure spills, and samples of its memory, spill directory and progress taken every
 * {@link #SAMPLE_MILLIS} ms by one daemon thread that samples every running query of the process
 * (and once more when the query ends).
 *
 * <p>Thread-safe: events and pressure callbacks arrive on worker threads.
 */
final class QueryRecorder implements AutoCloseable {
    /** Sampling period of memory, spill bytes and progress. */
    static final long SAMPLE_MILLIS = 50;
    /** Samples every running query of the process, on one daemon thread. */
    private static final ScheduledExecutorService SAMPLER = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "spillway-sampler");
        t.setDaemon(true);
        return t;
    });

    private final Spillway engine;
    private final String name;
    private final MemoryBudget budget;
    private final SpillDirectory spills;
    private final long cap;
    private final long t0 = System.nanoTime();
    private final List<QueryProfile.Event> events = new ArrayList<>();
    private final List<QueryProfile.Sample> samples = new ArrayList<>();
    private final Map<String, Long> operatorPeaks = new ConcurrentHashMap<>();
    private final AtomicInteger evictions = new AtomicInteger();
    private final QueryFinishedEvent finished = new QueryFinishedEvent();
    private final Consumer<QueryProgress> progress;
    private final ScheduledFuture<?> sampler;
    /** Held while a scheduled sample runs, so that {@link #close()} returns only after the last one. */
    private final Object sampling = new Object();
    private volatile QueryHandle handle;
    private volatile boolean stopped;
    /** The last sample's progress, or null before the first. */
    private volatile QueryProgress lastProgress;
    /** The largest process figures sampled (written by the sampler, then by {@link #finish}). */
    private volatile ProcessMemory processPeak = ProcessMemory.UNKNOWN;

    QueryRecorder(Spillway engine, String name, MemoryBudget budget, SpillDirectory spills, long cap) {
        this.engine = engine;
        this.name = name;
        this.budget = budget;
        this.spills = spills;
        this.cap = cap;
        this.progress = engine.progressListener();
        finished.begin();
        // One shared thread samples every running query: a thread per query cost a start and a join
        // (about a tenth of a millisecond) on every small query.
        this.sampler = SAMPLER.scheduleAtFixedRate(this::sampleTick, SAMPLE_MILLIS, SAMPLE_MILLIS, TimeUnit.MILLISECONDS);
    }

    /** Records an event of this query and passes it to the engine's log; this query's {@link EventSink}. */
    void log(SpillwayEvent event) {
        long at = System.nanoTime() - t0;
        if (event instanceof PartitionEvicted) {
            evictions.incrementAndGet();
        }
        synchronized (events) {
            events.add(new QueryProfile.Event(at, event));
        }
        engine.log(event);
    }

    /**
     * The memory manager's pressure listener: one line and one JFR event per spill of this query's
     * operators that pressure caused, naming the query whose reservation asked.
     */
    MemoryManager.PressureListener pressureListener() {
        return new MemoryManager.PressureListener() {
            @Override
            public void onSpill(Spillable party, long requested, long freed) {
                onPressure(party, name, requested, freed);
            }

            @Override
            public void onSpill(Spillable party, String askedBy, long requested, long freed) {
                onPressure(party, askedBy, requested, freed);
            }
        };
    }

    private void onPressure(Spillable party, String askedBy, long requested, long freed) {
        long reserved = budget.reserved();
        log(new MemoryReclaimed(name, party.name(), askedBy, requested, freed, reserved, cap));
        MemoryPressureEvent e = new MemoryPressureEvent();
        if (e.shouldCommit()) {
            e.query = name;
            e.askedBy = askedBy;
            e.party = party.name();
            e.requestedBytes = requested;
            e.freedBytes = freed;
            e.reservedBytes = reserved;
            e.capBytes = cap;
            e.commit();
        }
    }

    void started(QueryHandle h) {
        this.handle = h;
    }

    private void sampleTick() {
        synchronized (sampling) {
            if (!stopped) {
                try {
                    sample();
                } catch (RuntimeException e) {
                    // A failing progress listener must not end the sampling of other queries.
                    System.getLogger("dev.spillway").log(System.Logger.Level.WARNING, "query " + name + ": sampling failed", e);
                }
            }
        }
    }

    /**
     * The query's progress now: sampled afresh while the query runs, the last sample once it
     * ended. Any thread.
     */
    QueryProgress snapshot() {
        QueryProgress last = lastProgress;
        if (stopped && last != null) {
            return last;
        }
        QueryHandle h = handle;
        long rows = 0;
        if (h != null) {
            for (PipelineStats s : h.pipelineStats()) {
                rows += s.rowsIn();
            }
        }
        return new QueryProgress(name, System.nanoTime() - t0, rows, budget.reserved(), cap, spills.stats().bytesWrittenCompressed(),
                spills.bytesOnDisk());
    }

    private void sample() {
        long rows = 0;
        QueryHandle h = handle;
        if (h != null) {
            for (PipelineStats s : h.pipelineStats()) {
                rows += s.rowsIn();
            }
        }
        for (MemoryBudget child : budget.children()) {
            operatorPeaks.merge(child.name(), child.reserved(), Math::max);
        }
        processPeak = processPeak.max(ProcessMemory.read());
        QueryProfile.Sample s = new QueryProfile.Sample(System.nanoTime() - t0, budget.reserved(), spills.bytesOnDisk(),
                spills.stats().bytesWrittenCompressed(), rows);
        synchronized (samples) {
            samples.add(s);
        }
        QueryProgress now = new QueryProgress(name, s.atNanos(), rows, s.reservedBytes(), cap, s.spilledBytes(), s.onDiskBytes());
        lastProgress = now;
        if (progress != null && !stopped) {
            progress.accept(now);
        }
    }

    /**
     * Stops sampling and builds the profile; emits the {@link QueryFinishedEvent}.
     *
     * @param plan the physical plan, for the profile
     * @param qp   the scheduled plan (null when planning failed)
     * @param sinks the query's final sinks (one, or one per {@code sinkAll} target)
     */
    QueryProfile finish(boolean succeeded, String plan, QueryPlan qp, List<? extends Sink<?>> sinks, MemoryManager manager) {
        close();
        sample();
        long wall = System.nanoTime() - t0;
        List<QueryProfile.PipelineRow> rows = new ArrayList<>();
        long resultRows = 0;
        QueryHandle h = handle;
        if (h != null && qp != null) {
            List<PipelineStats> stats = h.pipelineStats();
            for (int i = 0; i < stats.size(); i++) {
                PipelineStats s = stats.get(i);
                rows.add(new QueryProfile.PipelineRow(s.name(), s.morsels(), s.rowsIn(), s.rowsOut(), s.wallNanos(), s.busyNanos()));
                if (i < qp.pipelines().size()) {
                    Pipeline p = qp.pipelines().get(i);
                    if (sinks.contains(p.sink())) {
                        resultRows += s.rowsOut();
                    }
                }
            }
        }
        List<QueryProfile.OperatorMemory> ops = new ArrayList<>();
        operatorPeaks.entrySet().stream().sorted(Map.Entry.comparingByKey())
                .forEach(e -> ops.add(new QueryProfile.OperatorMemory(e.getKey(), e.getValue())));
        SpillStats st = spills.stats();
        long[] spill = {st.bytesWrittenRaw(), st.bytesWrittenCompressed(), st.bytesRead(), st.bytesReadRaw(), st.filesCreated()};
        List<QueryProfile.Event> ev;
        synchronized (events) {
            ev = List.copyOf(events);
        }
        List<QueryProfile.Sample> sm;
        synchronized (samples) {
            sm = List.copyOf(samples);
        }
        QueryProfile profile = new QueryProfile(name, plan, succeeded, wall, resultRows, budget.peak(), cap, spill,
                evictions.get(), new QueryProfile.Pressure(manager.reclaimCalls(), manager.bytesReclaimed(),
                        manager.bytesFromOtherQueries(), manager.spillsForOtherQueries(), manager.bytesSpilledForOtherQueries()),
                processPeak, rows, ops, sm, ev);
        finished.end();
        if (finished.shouldCommit()) {
            finished.query = name;
            finished.succeeded = succeeded;
            finished.resultRows = resultRows;
            finished.peakBytes = profile.peakBytes();
            finished.capBytes = cap;
            finished.spilledRawBytes = profile.spilledRawBytes();
            finished.spilledStoredBytes = profile.spilledCompressedBytes();
            finished.readBackBytes = profile.readBackBytes();
            finished.peakRssBytes = profile.process().rssBytes();
            finished.commit();
        }
        return profile;
    }

    /** Stops sampling; returns once no scheduled sample of this query runs. Idempotent. */
    @Override
    public void close() {
        synchronized (sampling) {
            stopped = true;
        }
        sampler.cancel(false);
    }
}
