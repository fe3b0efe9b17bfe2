package io.sscmic.gateway.config;

/** The {@code node} section: who this sidecar is. */
public record NodeSection(String id) {
}
