/** The one place that reaches into Vert.x internals (its Netty channels and buffers). */
package io.sscmic.gateway.vertx;
