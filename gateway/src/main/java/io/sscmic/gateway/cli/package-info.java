/** The command line: parses arguments and runs a role (node, authority, demo) or an admin command. */
package io.sscmic.gateway.cli;
