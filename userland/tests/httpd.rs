//! `httpd`: files served from HOME on a loopback port, errors with their
//! statuses, nothing outside HOME, and the request log `-v` writes.

mod common;

use common::{scratch, IBOX};
use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// A foreground `ibox httpd -v` on a free loopback port, killed on drop.
struct Server {
    child: common::Reaped,
    port: u16,
}

impl Server {
    fn start(home: &std::path::Path) -> Server {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let child = Command::new(IBOX)
            .args([
                "httpd",
                "-f",
                "-v",
                "-p",
                &format!("127.0.0.1:{port}"),
                "-h",
            ])
            .arg(home)
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let deadline = Instant::now() + Duration::from_secs(20);
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "httpd did not start listening");
            std::thread::sleep(Duration::from_millis(20));
        }
        Server {
            child: common::Reaped(child),
            port,
        }
    }

    /// Sends `request` as is and returns the whole response.
    fn ask(&self, request: &str) -> String {
        let mut conn = TcpStream::connect(("127.0.0.1", self.port)).unwrap();
        conn.write_all(request.as_bytes()).unwrap();
        let mut response = String::new();
        conn.read_to_string(&mut response).unwrap();
        response
    }

    fn get(&self, path: &str) -> String {
        self.ask(&format!("GET {path} HTTP/1.1\r\nHost: x\r\n\r\n"))
    }

    /// Stops the server and returns its request log.
    fn log(mut self) -> String {
        let _ = self.child.kill();
        let mut log = String::new();
        let _ = self.child.stderr.take().unwrap().read_to_string(&mut log);
        log
    }
}

#[test]
fn serves_files_refuses_the_rest_and_logs_each_request() {
    let home = scratch("httpd");
    std::fs::write(home.path("index.html"), "front page\n").unwrap();
    std::fs::create_dir(home.path("sub")).unwrap();
    std::fs::write(home.path("sub/file.txt"), "12345").unwrap();
    let server = Server::start(&home);

    let page = server.get("/");
    assert!(page.starts_with("HTTP/1.1 200 OK\r\n"), "{page}");
    assert!(page.contains("Content-Length: 11\r\n"), "{page}");
    assert!(page.ends_with("\r\n\r\nfront page\n"), "{page}");
    assert!(server.get("/sub/file.txt?x=1").ends_with("\r\n\r\n12345"));

    let head = server.ask("HEAD /sub/file.txt HTTP/1.0\r\n\r\n");
    assert!(head.contains("Content-Length: 5\r\n"), "{head}");
    assert!(head.ends_with("\r\n\r\n"), "HEAD sends no body: {head}");

    assert!(server.get("/missing").starts_with("HTTP/1.1 404 Not Found"));
    assert!(server
        .get("/../etc/passwd")
        .starts_with("HTTP/1.1 403 Forbidden"));
    assert!(server
        .ask("POST / HTTP/1.1\r\n\r\n")
        .starts_with("HTTP/1.1 501"));
    assert!(server.ask("garbage\r\n\r\n").starts_with("HTTP/1.1 400"));

    let log = server.log();
    assert!(log.contains("127.0.0.1:"), "{log}");
    assert!(log.contains(" GET / 200\n"), "{log}");
    assert!(log.contains(" GET /missing 404\n"), "{log}");
}

#[test]
fn a_missing_home_is_an_error() {
    let out = Command::new(IBOX)
        .args(["httpd", "-f", "-p", "127.0.0.1:1", "-h", "/nonexistent/dir"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("httpd: can't change directory"));
}
