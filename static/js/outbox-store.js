// The phone's storage for the offline app (issue 13), shared by the pages
// (outbox.js, logform.js) and the service worker (sw.js imports it).
// IndexedDB "peerlog": "outbox" holds whole forms keyed by the log's
// idempotency key; "meta" holds who uses the phone, when it was last used, the
// labels of the mentor's current participants and what was just sent.
// Cache Storage holds the static files and two pages (app shell, new-log form).
(function (scope) {
  "use strict";
  var DB = "peerlog";
  var PAGE_CACHE = "peerlog-pages";
  var UNUSED_MS = 7 * 24 * 60 * 60 * 1000;  // 7 days without use wipes it all

  function open() {
    return new Promise(function (resolve, reject) {
      var request = indexedDB.open(DB, 1);
      request.onupgradeneeded = function () {
        var db = request.result;
        db.createObjectStore("outbox", { keyPath: "key" });
        db.createObjectStore("meta", { keyPath: "name" });
      };
      request.onsuccess = function () { resolve(request.result); };
      request.onerror = function () { reject(request.error); };
    });
  }

  // One operation per transaction; the connection is closed right after, so a
  // wipe (deleteDatabase) is never blocked by an open connection.
  function run(name, mode, operation) {
    return open().then(function (db) {
      return new Promise(function (resolve, reject) {
        var transaction = db.transaction(name, mode);
        var request = operation(transaction.objectStore(name));
        transaction.oncomplete = function () { db.close(); resolve(request.result); };
        transaction.onerror = transaction.onabort = function () {
          db.close();
          reject(transaction.error);
        };
      });
    });
  }

  function deleteDatabase() {
    return new Promise(function (resolve) {
      var request = indexedDB.deleteDatabase(DB);
      request.onsuccess = request.onerror = request.onblocked = function () { resolve(); };
    });
  }

  function deleteCaches(onlyPages) {
    if (typeof caches === "undefined") { return Promise.resolve(); }
    return caches.keys().then(function (keys) {
      return Promise.all(keys.filter(function (key) {
        return !onlyPages || key === PAGE_CACHE;
      }).map(function (key) { return caches.delete(key); }));
    });
  }

  scope.PeerlogStore = {
    PAGE_CACHE: PAGE_CACHE,
    UNUSED_MS: UNUSED_MS,
    all: function () { return run("outbox", "readonly", function (s) { return s.getAll(); }); },
    get: function (key) { return run("outbox", "readonly", function (s) { return s.get(key); }); },
    put: function (record) { return run("outbox", "readwrite", function (s) { return s.put(record); }); },
    remove: function (key) { return run("outbox", "readwrite", function (s) { return s.delete(key); }); },
    meta: function (name) {
      return run("meta", "readonly", function (s) { return s.get(name); }).then(function (row) {
        return row ? row.value : undefined;
      });
    },
    setMeta: function (name, value) {
      return run("meta", "readwrite", function (s) { return s.put({ name: name, value: value }); });
    },
    dropMeta: function (name) { return run("meta", "readwrite", function (s) { return s.delete(name); }); },
    isStale: function () {
      return run("meta", "readonly", function (s) { return s.get("lastUsed"); }).then(function (row) {
        return Boolean(row && Date.now() - row.value > UNUSED_MS);
      });
    },
    // Without asking IndexedDB to open it, which would create it.
    exists: function () {
      if (!indexedDB.databases) { return Promise.resolve(true); }
      return indexedDB.databases().then(function (list) {
        return list.some(function (db) { return db.name === DB; });
      });
    },
    // Everything: typing, labels, pages, static files.
    wipe: function () { return Promise.all([deleteDatabase(), deleteCaches(false)]); },
    // A session that ended: the pages and labels go, the mentor's unsent
    // typing waits for them to sign in again (or for the 7 days to pass).
    wipePages: function () {
      return Promise.all([
        deleteCaches(true),
        scope.PeerlogStore.exists().then(function (exists) {
          return exists && run("meta", "readwrite", function (s) {
            s.delete("labels");
            return s.delete("pagesAt");
          });
        })
      ]);
    }
  };
}(self));
