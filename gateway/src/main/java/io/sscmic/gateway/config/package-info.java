/** A node's configuration: YAML and environment overrides parsed once into typed, immutable records. */
package io.sscmic.gateway.config;
