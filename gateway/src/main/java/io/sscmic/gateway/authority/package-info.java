/** The authority role inside the sscmic process: its YAML config and the launcher that deploys its verticles and admin port. */
package io.sscmic.gateway.authority;
