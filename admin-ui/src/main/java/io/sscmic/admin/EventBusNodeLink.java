package io.sscmic.admin;

import io.sscmic.admin.ui.NodeLink;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.eventbus.ReplyFailure;
import io.vertx.core.json.JsonObject;

/** The dashboard's link to its node over the local event-bus addresses of {@link AdminAddresses}. */
final class EventBusNodeLink implements NodeLink {
  private static final DeliveryOptions ASK = new DeliveryOptions().setLocalOnly(true).setSendTimeout(5000);

  private final Vertx vertx;
  private final String node;

  EventBusNodeLink(Vertx vertx, String node) {
    this.vertx = vertx;
    this.node = node;
  }

  @Override
  public Future<JsonObject> status() {
    return vertx.eventBus().<JsonObject>request(AdminAddresses.status(node), null, ASK).map(Message::body);
  }

  @Override
  public Future<JsonObject> action(String name, JsonObject args) {
    return vertx.eventBus().<JsonObject>request(AdminAddresses.action(node, name), args, ASK).map(Message::body)
        .recover(e -> Future.failedFuture(e instanceof ReplyException re && re.failureType() == ReplyFailure.NO_HANDLERS
            ? new UnsupportedActionException(name) : e));
  }
}
