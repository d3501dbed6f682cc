// Package web holds the browser client, embedded in the server binary and
// served at / (Dou Dizhu) and /world (the MMO world map), and the admin
// console served at /admin/.
package web

import (
	"embed"
	"io/fs"
)

//go:embed static
var static embed.FS

//go:embed admin
var adminFiles embed.FS

// FS is the client's files, rooted at the folder served as /.
func FS() fs.FS {
	sub, err := fs.Sub(static, "static")
	if err != nil {
		panic(err) // the embedded folder always exists
	}
	return sub
}

// AdminFS is the admin console's files, rooted at the folder served as
// /admin/.
func AdminFS() fs.FS {
	sub, err := fs.Sub(adminFiles, "admin")
	if err != nil {
		panic(err) // the embedded folder always exists
	}
	return sub
}

// pages are the client's pages served at a path of their own, each the
// name of its file in FS.
var pages = map[string]string{
	"/world": "world.html",
}

// Page returns the file in FS that serves the page at path (a cleaned URL
// path such as "/world"), and whether there is one.
func Page(path string) (string, bool) {
	name, ok := pages[path]
	return name, ok
}
