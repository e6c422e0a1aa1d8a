// Package thread holds one conversation's messages as the console and
// the widget both draw them: bubbles, pages of history, and the fragments
// that append, replace, acknowledge or refuse a message live.
package thread
