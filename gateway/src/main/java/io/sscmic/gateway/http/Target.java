package io.sscmic.gateway.http;

import java.time.Duration;

/**
 * Where a request goes: its service, the route that chose it ({@link HttpRoute#name()}, or
 * {@value HttpRoute#NONE} when the request's host named the service), the host it named, the path
 * to ask for there, and how long the service has to start answering.
 */
record Target(String service, String route, String host, String path, Duration timeout) {
}
