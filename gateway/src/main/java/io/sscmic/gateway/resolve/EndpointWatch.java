package io.sscmic.gateway.resolve;

import java.util.List;

/** A caller's interest in one service's endpoints; close it when the caller goes away. */
public interface EndpointWatch extends AutoCloseable {
  String service();

  /** The latest set delivered to this watch. */
  List<Endpoint> current();

  @Override
  void close();
}
