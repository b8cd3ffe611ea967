/**
 * What the recipes share (one home each): the queue of an etcd concurrency recipe ({@link
 * keel.client.support.RecipeContender}, with the get-then-watch loops under it), the one live watch
 * of a watching part ({@link keel.client.support.CurrentWatch}), listeners on their own executors
 * ({@link keel.client.support.Listeners}), the backoff ({@link keel.client.support.Retry}), error
 * classification, the default event executor, a serial executor, etcd recipe key names, describing a
 * client's endpoints. Not a public API: recipes' callers use {@code keel.client.session}, {@code
 * election}, {@code lock}, {@code cache} and {@code membership}.
 */
package keel.client.support;
