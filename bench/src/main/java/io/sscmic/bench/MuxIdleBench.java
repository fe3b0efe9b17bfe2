package io.sscmic.bench;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.sscmic.gateway.mux.AppStreams;
import io.sscmic.gateway.mux.DeclaredIdentityLayer;
import io.sscmic.gateway.mux.MuxMetrics;
import io.sscmic.gateway.mux.MuxSettings;
import io.sscmic.gateway.mux.MuxTransport;
import io.sscmic.gateway.mux.PeerConnector;
import io.sscmic.gateway.mux.PeerListener;
import io.sscmic.gateway.mux.PeerPool;
import io.sscmic.gateway.mux.ServiceDirectory;
import io.sscmic.gateway.mux.StreamAcceptor;
import io.sscmic.gateway.mux.StreamPolicy;
import io.sscmic.gateway.resolve.Endpoint;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Tunnel v2's multiplexer measured across processes (not a test): new streams per second, and heap
 * per idle stream in each node. Four JVMs on loopback, all on port 0: an echo service, the
 * receiving node (PeerListener, dials the echo service per stream), the calling node (an
 * application listener whose connections become streams through a PeerPool, via AppStreams), and
 * this orchestrator, which plays the applications.
 *
 * <p>Rate: 4 threads connect to the calling node's application port, send one byte, read it back,
 * close, for a fixed time (as bench/conn_rate.py). Memory: each node's used heap after full GCs
 * (MemoryMXBean), before and while N application connections (so N streams, and on the receiving
 * node N local service connections) are held open and idle; the difference divided by N.
 * The secure layer is DeclaredIdentityLayer (plain): this is the multiplexer's own cost.
 *
 * <pre>java -cp bench/target/benchmarks.jar io.sscmic.bench.MuxIdleBench [idle=10000] [rateSeconds=10]</pre>
 */
public final class MuxIdleBench {
  private MuxIdleBench() {
  }

  public static void main(String[] args) throws Exception {
    if (args.length > 0 && args[0].equals("echo")) {
      echo();
    } else if (args.length > 0 && args[0].equals("server")) {
      server(Integer.parseInt(args[1]));
    } else if (args.length > 0 && args[0].equals("client")) {
      client(Integer.parseInt(args[1]));
    } else {
      orchestrate(args.length > 0 ? Integer.parseInt(args[0]) : 10_000,
          args.length > 1 ? Integer.parseInt(args[1]) : 10);
    }
  }

  // --- the child processes: each prints "ready <port>", then answers "heap" with "heap <bytes>" ---

  private static EventLoopGroup group() {
    return new MultiThreadIoEventLoopGroup(2, NioIoHandler.newFactory());
  }

  private static void echo() throws Exception {
    EventLoopGroup group = group();
    Channel server = new ServerBootstrap().group(group).channel(NioServerSocketChannel.class)
        .childHandler(new ChannelInitializer<Channel>() {
          @Override
          protected void initChannel(Channel ch) {
            ch.pipeline().addLast(new ChannelInboundHandlerAdapter() {
              @Override
              public void channelRead(ChannelHandlerContext ctx, Object msg) {
                ctx.writeAndFlush(msg);
              }

              @Override
              public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
                ctx.close(); // a reset stream resets its local connection: expected here
              }
            });
          }
        }).bind(new InetSocketAddress("127.0.0.1", 0)).sync().channel();
    serve(((InetSocketAddress) server.localAddress()).getPort());
  }

  private static void server(int echoPort) throws Exception {
    MuxSettings settings = MuxSettings.defaults();
    MuxMetrics metrics = MuxMetrics.none();
    StreamAcceptor acceptor = new StreamAcceptor(StreamPolicy.ALLOW_MEMBERS,
        ServiceDirectory.of(Map.of("echo", new InetSocketAddress("127.0.0.1", echoPort))), NioSocketChannel::new,
        metrics, settings);
    PeerListener listener = PeerListener.bind(MuxTransport.nio(group()), new InetSocketAddress("127.0.0.1", 0),
        new DeclaredIdentityLayer("node-b", "node-a"), settings, acceptor, metrics, "node-b");
    serve(listener.port());
  }

  private static void client(int peerPort) throws Exception {
    MuxSettings settings = MuxSettings.defaults();
    EventLoopGroup group = group();
    PeerPool pool = new PeerPool(new PeerConnector(MuxTransport.nio(group),
        new DeclaredIdentityLayer("node-b", "node-a"), settings, MuxMetrics.none(), "node-a"));
    Endpoint peer = new Endpoint("127.0.0.1", peerPort, "node-b");
    Channel app = new ServerBootstrap().group(group).channel(NioServerSocketChannel.class)
        .option(ChannelOption.SO_BACKLOG, 4096)
        .childHandler(new ChannelInitializer<Channel>() {
          @Override
          protected void initChannel(Channel ch) {
            AppStreams.relay(pool, peer, "echo", ch);
          }
        }).bind(new InetSocketAddress("127.0.0.1", 0)).sync().channel();
    serve(((InetSocketAddress) app.localAddress()).getPort());
  }

  private static void serve(int port) throws Exception {
    PrintStream out = new PrintStream(System.out, true, StandardCharsets.UTF_8);
    out.println("ready " + port);
    BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
    for (String line; (line = in.readLine()) != null; ) {
      if (line.equals("heap")) {
        out.println("heap " + liveHeap());
      }
    }
    System.exit(0); // the orchestrator closed our stdin
  }

  /** Used heap after full collections: the live set, as bench/compare.sh reads it with jcmd. */
  private static long liveHeap() throws InterruptedException {
    long used = Long.MAX_VALUE;
    for (int i = 0; i < 4; i++) {
      System.gc();
      Thread.sleep(200);
      used = Math.min(used, ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed());
    }
    return used;
  }

  // --- the orchestrator ---

  private record Child(Process process, BufferedReader out, PrintStream in, int port) {
    long heap() throws Exception {
      in.println("heap");
      String line = out.readLine();
      while (line != null && !line.startsWith("heap ")) {
        line = out.readLine();
      }
      return Long.parseLong(line.substring("heap ".length()));
    }
  }

  private static Child spawn(String... args) throws Exception {
    List<String> cmd = new ArrayList<>(List.of(
        ProcessHandle.current().info().command().orElse("java"),
        "-Xmx512m", "-XX:+UseSerialGC"));
    // Extra JVM options for the nodes, e.g. -Dmux.nodeOpts=-XX:StartFlightRecording=filename=/tmp/{role}.jfr
    String extra = System.getProperty("mux.nodeOpts", "");
    if (!extra.isBlank() && !args[0].equals("echo")) {
      cmd.addAll(List.of(extra.trim().replace("{role}", args[0]).split("\\s+")));
    }
    cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), MuxIdleBench.class.getName()));
    cmd.addAll(List.of(args));
    Process p = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.INHERIT).start();
    BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
    String line = out.readLine();
    while (line != null && !line.startsWith("ready ")) { // e.g. the JVM's own -XX:StartFlightRecording notice
      line = out.readLine();
    }
    if (line == null) {
      throw new IllegalStateException("child " + String.join(" ", args) + " did not start: " + line);
    }
    return new Child(p, out, new PrintStream(p.getOutputStream(), true, StandardCharsets.UTF_8),
        Integer.parseInt(line.substring(6)));
  }

  /** CPU time (user + system) of a child process, from /proc (Linux), in milliseconds. */
  private static long cpuMillis(Process p) throws Exception {
    String[] f = java.nio.file.Files.readString(java.nio.file.Path.of("/proc/" + p.pid() + "/stat"))
        .replaceFirst("^.*\\) ", "").split(" ");
    long ticks = Long.parseLong(f[11]) + Long.parseLong(f[12]); // utime, stime (fields 14, 15)
    return ticks * 10; // USER_HZ = 100
  }

  private static int warmupSeconds = Integer.getInteger("warmup", 10);

  private static void orchestrate(int idle, int rateSeconds) throws Exception {
    Child echo = spawn("echo");
    Child server = spawn("server", Integer.toString(echo.port()));
    Child client = spawn("client", Integer.toString(server.port()));
    try {
      InetSocketAddress app = new InetSocketAddress("127.0.0.1", client.port());
      InetSocketAddress direct = new InetSocketAddress("127.0.0.1", echo.port());
      rate(app, warmupSeconds, 8); // warm-up: JIT, pool connection, buffers
      rate(direct, 1, 4);
      for (int threads : new int[] {4, 32}) {
        long cpuClient = cpuMillis(client.process());
        long cpuServer = cpuMillis(server.process());
        long t0 = System.nanoTime();
        double viaMux = rate(app, rateSeconds, threads);
        long streams = Math.round(viaMux * (System.nanoTime() - t0) / 1e9);
        double clientCpu = (cpuMillis(client.process()) - cpuClient) * 1000.0 / streams;
        double serverCpu = (cpuMillis(server.process()) - cpuServer) * 1000.0 / streams;
        long cpuEcho = cpuMillis(echo.process());
        long t1 = System.nanoTime();
        double straight = rate(direct, rateSeconds, threads);
        long directConns = Math.round(straight * (System.nanoTime() - t1) / 1e9);
        double echoCpu = (cpuMillis(echo.process()) - cpuEcho) * 1000.0 / directConns;
        System.out.printf("new streams per second through the pair (connect, 1-byte echo, close; %d threads, %d s): "
            + "%.0f; direct to the echo service in the same run: %.0f (%.2fx)%n", threads, rateSeconds, viaMux,
            straight, viaMux / straight);
        System.out.printf("  CPU per stream: calling node %.0f us, receiving node %.0f us; the echo service per direct"
            + " connection %.0f us%n", clientCpu, serverCpu, echoCpu);
      }
      System.out.printf("load average during the run: %.1f on %d cores%n",
          ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage(),
          Runtime.getRuntime().availableProcessors());

      long server0 = server.heap();
      long client0 = client.heap();
      List<Socket> held = hold(app, idle);
      long server1 = server.heap();
      long client1 = client.heap();
      System.out.printf("idle streams held: %d (each verified by a 1-byte echo)%n", idle);
      System.out.printf("calling node  : heap %.1f MiB -> %.1f MiB, %.2f KB per idle stream%n",
          client0 / 1048576.0, client1 / 1048576.0, (client1 - client0) / 1024.0 / idle);
      System.out.printf("receiving node: heap %.1f MiB -> %.1f MiB, %.2f KB per idle stream%n",
          server0 / 1048576.0, server1 / 1048576.0, (server1 - server0) / 1024.0 / idle);
      for (Socket s : held) {
        s.close();
      }
    } finally {
      for (Child c : List.of(client, server, echo)) {
        c.in().close();
        c.process().waitFor();
      }
    }
  }

  /** Opens {@code n} connections on 32 threads, each proven by a 1-byte echo, and returns them open. */
  private static List<Socket> hold(InetSocketAddress app, int n) throws Exception {
    List<Socket> held = java.util.Collections.synchronizedList(new ArrayList<>(n));
    java.util.concurrent.atomic.AtomicInteger next = new java.util.concurrent.atomic.AtomicInteger();
    java.util.concurrent.atomic.AtomicReference<Exception> failure = new java.util.concurrent.atomic.AtomicReference<>();
    List<Thread> threads = new ArrayList<>();
    for (int t = 0; t < 32; t++) {
      Thread th = new Thread(() -> {
        while (next.getAndIncrement() < n && failure.get() == null) {
          try {
            Socket s = new Socket();
            held.add(s);
            s.connect(app, 120_000);
            s.setSoTimeout(120_000);
            s.getOutputStream().write('x');
            if (s.getInputStream().read() != 'x') {
              throw new IllegalStateException("bad echo");
            }
          } catch (Exception e) {
            failure.compareAndSet(null, e);
          }
        }
      });
      th.start();
      threads.add(th);
    }
    for (Thread th : threads) {
      th.join();
    }
    if (failure.get() != null) {
      throw failure.get();
    }
    return held;
  }

  /** Connect, one byte each way, close, on {@code threads} threads for {@code seconds}; returns completed per second. */
  private static double rate(InetSocketAddress app, int seconds, int threads) throws Exception {
    AtomicLong done = new AtomicLong();
    AtomicLong failed = new AtomicLong();
    long end = System.nanoTime() + seconds * 1_000_000_000L;
    List<Thread> running = new ArrayList<>();
    for (int t = 0; t < threads; t++) {
      Thread th = new Thread(() -> {
        while (System.nanoTime() < end) {
          try (Socket s = new Socket()) {
            s.connect(app, 60_000);
            s.setSoTimeout(60_000);
            s.getOutputStream().write('x');
            if (s.getInputStream().read() == 'x') {
              done.incrementAndGet();
            } else {
              failed.incrementAndGet();
            }
          } catch (Exception e) {
            failed.incrementAndGet();
          }
        }
      });
      th.start();
      running.add(th);
    }
    long start = System.nanoTime();
    for (Thread th : running) {
      th.join();
    }
    double elapsed = (System.nanoTime() - start) / 1e9;
    if (failed.get() > 0) {
      System.out.println("failed connections during the rate run: " + failed.get());
    }
    return done.get() / elapsed;
  }
}
