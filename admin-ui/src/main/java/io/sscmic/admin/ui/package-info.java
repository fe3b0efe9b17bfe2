/** The password-protected side of the admin port: the browser dashboard, operator credentials for /status, login throttling and the password's stored form. */
package io.sscmic.admin.ui;
