package io.sscmic.admin.ui;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.logging.Logger;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Checks candidate passwords (the dashboard's login and {@code /status}'s HTTP Basic) so that
 * guessing is slow and nobody can lock the operator out:
 * <ul>
 *   <li>Every attempt is checked eventually; none is refused because of past failures. An address's
 *       failures only delay its next check ({@link LoginThrottle}: at most {@link #MAX_DELAY_MILLIS}).
 *   <li>One check in flight per address, at most {@link #MAX_CONCURRENT_CHECKS} in all; the next
 *       check goes to the waiting address with the fewest recent failures (then the one served
 *       longest ago), so a flood from one address does not delay another address's login.
 *   <li>A small global budget: beyond {@link #GLOBAL_FREE_FAILURES} failures a minute from all
 *       addresses together, a slot stays busy {@link #GLOBAL_HOLD_MILLIS} after each wrong password.
 *       That slows guessing from many addresses; it never refuses.
 *   <li>Only a flood is refused: an address with {@link #MAX_WAITING_PER_ADDRESS} attempts already
 *       waiting gets {@link Verdict#BUSY} for further ones, which holds no state once the flood stops.
 *   <li>Once a password has been verified in this run, the same password is recognised at once
 *       (an HMAC under a per-run key, compared in constant time), so a logged-in operator's scripted
 *       {@code curl /status} costs no PBKDF2 and waits behind no one.
 * </ul>
 * Confined to the admin verticle's event loop; the PBKDF2 checks run on workers.
 */
public final class LoginGate {
  private static final Logger LOG = Logger.getLogger(LoginGate.class.getName());
  static final int FREE_FAILURES = 3;
  static final long BASE_DELAY_MILLIS = 250;
  static final long MAX_DELAY_MILLIS = 4_000;
  static final long WINDOW_MILLIS = 60_000;
  static final int MAX_CONCURRENT_CHECKS = 2;
  static final int MAX_WAITING_PER_ADDRESS = 8;
  static final int GLOBAL_FREE_FAILURES = 30;
  static final long GLOBAL_HOLD_MILLIS = 1_000;

  /** What became of one attempt. */
  public enum Verdict {
    ACCEPTED,
    WRONG_PASSWORD,
    /** Refused unchecked: too many attempts from this address are already waiting. */
    BUSY
  }

  private final Vertx vertx;
  private final String node;
  private final PasswordHash password;
  private final DashboardMeters counts;
  private final LoginThrottle throttle = new LoginThrottle(FREE_FAILURES, BASE_DELAY_MILLIS, MAX_DELAY_MILLIS,
      WINDOW_MILLIS);
  /** Addresses with attempts waiting or being checked; served ones move to the end. */
  private final Map<String, Waiting> waiting = new LinkedHashMap<>();
  private final Mac fingerprint;
  private byte[] verified;
  private int inFlight;
  private long timer = -1;

  private static final class Waiting {
    final String client;
    final Deque<Attempt> attempts = new ArrayDeque<>();
    boolean checking;
    /** One log line per flood, not one per refused attempt: a flood must not flood the log. */
    boolean floodLogged;

    Waiting(String client) {
      this.client = client;
    }
  }

  private record Attempt(char[] candidate, byte[] fingerprint, Promise<Verdict> verdict) {
  }

  LoginGate(Vertx vertx, String node, PasswordHash password, DashboardMeters counts, SecureRandom random) {
    this.vertx = vertx;
    this.node = node;
    this.password = password;
    this.counts = counts;
    byte[] key = new byte[32];
    random.nextBytes(key);
    try {
      fingerprint = Mac.getInstance("HmacSHA256");
      fingerprint.init(new SecretKeySpec(key, "HmacSHA256"));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HmacSHA256 unavailable: " + e.getMessage(), e);
    }
  }

  /** Checks {@code candidate} for an attempt from {@code client} (an IP address); counts and logs refusals. */
  public Future<Verdict> check(String client, String candidate) {
    byte[] mac = fingerprint.doFinal(candidate.getBytes(StandardCharsets.UTF_8));
    if (verified != null && MessageDigest.isEqual(verified, mac)) {
      return Future.succeededFuture(Verdict.ACCEPTED);
    }
    Waiting w = waiting.computeIfAbsent(client, Waiting::new);
    if (w.attempts.size() >= MAX_WAITING_PER_ADDRESS) {
      counts.throttled.increment();
      if (!w.floodLogged) {
        w.floodLogged = true;
        LOG.warning(() -> node + ": admin logins from " + client + " refused unchecked while "
            + MAX_WAITING_PER_ADDRESS + " attempts from that address wait (counted in "
            + "sscmic_admin_login_failures_total{reason=\"rate_limited\"}; logged once per flood)");
      }
      return Future.succeededFuture(Verdict.BUSY);
    }
    Promise<Verdict> verdict = Promise.promise();
    w.attempts.addLast(new Attempt(candidate.toCharArray(), mac, verdict));
    pump();
    return verdict.future();
  }

  /** Starts the checks that may start now, and a timer for the first one that must wait. */
  private void pump() {
    long now = System.currentTimeMillis();
    while (inFlight < MAX_CONCURRENT_CHECKS) {
      Waiting next = null;
      int fewest = Integer.MAX_VALUE;
      for (Waiting w : waiting.values()) {
        if (!w.checking && !w.attempts.isEmpty() && throttle.delay(w.client, now) == 0) {
          int f = throttle.failures(w.client, now);
          if (f < fewest) {
            fewest = f;
            next = w;
          }
        }
      }
      if (next == null) {
        break;
      }
      waiting.remove(next.client);
      waiting.put(next.client, next); // round robin among equals: served last, considered last
      start(next);
    }
    if (inFlight < MAX_CONCURRENT_CHECKS && timer < 0) {
      long soonest = Long.MAX_VALUE;
      for (Waiting w : waiting.values()) {
        if (!w.checking && !w.attempts.isEmpty()) {
          soonest = Math.min(soonest, throttle.delay(w.client, now));
        }
      }
      if (soonest != Long.MAX_VALUE) {
        timer = vertx.setTimer(Math.max(1, soonest), t -> {
          timer = -1;
          pump();
        });
      }
    }
  }

  private void start(Waiting w) {
    Attempt a = w.attempts.pollFirst();
    w.checking = true;
    inFlight++;
    // Not ordered: the checks of two addresses run side by side (the context would otherwise serialise them).
    vertx.executeBlocking(() -> password.matches(a.candidate()), false).onComplete(ar -> {
      Arrays.fill(a.candidate(), '\0');
      long now = System.currentTimeMillis();
      boolean ok = ar.succeeded() && ar.result();
      w.checking = false;
      if (w.attempts.isEmpty()) {
        waiting.remove(w.client);
      }
      long hold = 0;
      if (ok) {
        verified = a.fingerprint();
        counts.logins.increment();
      } else {
        throttle.failed(w.client, now);
        counts.wrongPassword.increment();
        LOG.warning(() -> node + ": admin login refused for " + w.client + " (wrong password)");
        hold = throttle.allFailures(now) > GLOBAL_FREE_FAILURES ? GLOBAL_HOLD_MILLIS : 0;
      }
      a.verdict().complete(ok ? Verdict.ACCEPTED : Verdict.WRONG_PASSWORD);
      if (hold == 0) {
        release();
      } else {
        vertx.setTimer(hold, t -> release());
      }
    });
  }

  private void release() {
    inFlight--;
    pump();
  }
}
