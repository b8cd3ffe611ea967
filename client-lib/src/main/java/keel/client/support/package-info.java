/**
 * Small helpers shared by the recipes (one home each): error classification, the default event
 * executor, a serial executor, etcd recipe key names, describing a client's endpoints.
 * Not a public API: recipes' callers use {@code keel.client.session}, {@code election}, {@code lock},
 * {@code cache} and {@code membership}.
 */
package keel.client.support;
