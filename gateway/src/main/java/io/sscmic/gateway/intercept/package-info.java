/**
 * Transparent interception: connections local applications open to mesh destinations are
 * captured with nftables TPROXY (no proxy settings in the application), mapped to their service by
 * their original destination, their protocol detected from the first bytes, and carried through
 * the tunnel as an outbound listener carries them. {@link io.sscmic.gateway.intercept.InterceptRules}
 * writes the nftables table and policy routing, {@link io.sscmic.gateway.intercept.RuleInstaller}
 * applies and removes them (the {@code sscmic intercept} command and a node that manages its rules).
 */
package io.sscmic.gateway.intercept;
