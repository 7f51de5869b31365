package io.segmentd.replay;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.Consumer;

/**
 * Runs a scan of token ranges on a few threads: decoding and folding journals is CPU work, and a
 * range's reads are paged synchronously, so ranges side by side overlap one's waiting with
 * another's folding. The first failure stops the scan.
 */
public final class ParallelScan {
  private ParallelScan() {}

  public interface RangeWork {
    void run(TokenRanges.Range range) throws Exception;
  }

  public static void run(List<TokenRanges.Range> ranges, int parallelism, RangeWork work) throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(Math.max(1, parallelism), r -> {
      Thread thread = new Thread(r, "replay-scan");
      thread.setDaemon(true);
      return thread;
    });
    try {
      List<Future<?>> futures = new ArrayList<>();
      for (TokenRanges.Range range : ranges) {
        futures.add(pool.submit(() -> {
          work.run(range);
          return null;
        }));
      }
      for (Future<?> future : futures) {
        try {
          future.get();
        } catch (ExecutionException e) {
          futures.forEach(f -> f.cancel(true));
          if (e.getCause() instanceof Exception cause) throw cause;
          throw e;
        }
      }
    } finally {
      pool.shutdownNow();
    }
  }

  /** Every customer's decoded history in the ranges, scanned in parallel; {@code progress} counts them. */
  public static void histories(JournalScan scan, JournalDecoder decoder, List<TokenRanges.Range> ranges, int parallelism,
                               Progress progress, Consumer<CustomerHistory> handler) throws Exception {
    run(ranges, parallelism, range -> {
      scan.scan(range, journal -> {
        if (!journal.persistenceId().startsWith(CUSTOMER_PREFIX)) return;
        CustomerHistory history = decoder.history(journal);
        handler.accept(history);
        progress.customer(history.eventCount());
      });
      progress.rangeDone();
    });
  }

  static final String CUSTOMER_PREFIX = "Customer|";
}
