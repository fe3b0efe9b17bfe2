/** Several authority replicas sharing state in etcd (issue 17 item 4); the single authority on local files stays the default. */
package io.sscmic.authority.ha;
