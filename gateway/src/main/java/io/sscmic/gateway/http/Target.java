package io.sscmic.gateway.http;

import java.time.Duration;

/**
 * Where a request goes: its service, the host it named, the path to ask for there, and how long
 * the service has to start answering.
 */
record Target(String service, String host, String path, Duration timeout) {
}
