//! A small SMTP server (RFC 5321): greeting, EHLO/HELO, MAIL, RCPT, DATA, RSET, NOOP, QUIT.
//! No TLS and no AUTH: it listens on the loopback interface for the demo and the tests,
//! where the mailer's plain mode is allowed.

use super::MockMailbox;
use std::io;
use std::net::SocketAddr;
use std::time::Duration;
use tokio::io::{AsyncBufRead, AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::tcp::OwnedWriteHalf;
use tokio::net::{TcpListener, TcpStream};
use tokio::task::{JoinHandle, JoinSet};

/// The largest message accepted, advertised with SIZE.
pub const MAX_MESSAGE_BYTES: usize = 10 * 1024 * 1024;
/// RFC 5321 allows at least 100 recipients per message; more get 452.
const MAX_RECIPIENTS: usize = 100;
/// Command lines are at most 512 bytes in RFC 5321; some slack for parameters.
const MAX_COMMAND_LINE: usize = 2048;
/// Text lines are at most 1000 bytes; clients that ignore it are tolerated this far.
const MAX_DATA_LINE: usize = 64 * 1024;
/// Connections served at once; more are told to come back later.
const MAX_CONNECTIONS: usize = 64;
/// RFC 5321 4.5.3.2.7: the server waits at least 5 minutes for the next command.
const IDLE_TIMEOUT: Duration = Duration::from_secs(300);
const HOSTNAME: &str = "localhost";

/// The stand-in's SMTP server.
pub struct MockMailServer;

impl MockMailServer {
    /// Listens on `addr` (port 0 for any free port) and serves connections concurrently until
    /// the returned task is aborted, which also ends the connections in progress. Returns the
    /// address actually bound.
    pub async fn start(
        addr: SocketAddr,
        mailbox: MockMailbox,
    ) -> io::Result<(SocketAddr, JoinHandle<()>)> {
        let listener = TcpListener::bind(addr).await?;
        let bound = listener.local_addr()?;
        Ok((bound, tokio::spawn(serve(listener, mailbox))))
    }
}

async fn serve(listener: TcpListener, mailbox: MockMailbox) {
    // Owned by this task: aborting it drops the set, which aborts every connection.
    let mut connections = JoinSet::new();
    loop {
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => {
                    if connections.len() >= MAX_CONNECTIONS {
                        connections.spawn(refuse(stream));
                    } else {
                        connections.spawn(session(stream, mailbox.clone()));
                    }
                }
                // Out of file descriptors and the like: pause rather than spin.
                Err(_) => tokio::time::sleep(Duration::from_millis(50)).await,
            },
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
        }
    }
}

async fn refuse(mut stream: TcpStream) {
    let _ = stream
        .write_all(b"421 4.3.2 Too many connections, try again later\r\n")
        .await;
}

async fn session(stream: TcpStream, mailbox: MockMailbox) {
    // An IO error means the client went away: nothing to tell anyone.
    let _ = converse(stream, mailbox).await;
}

enum Line {
    Complete,
    TooLong,
    Eof,
}

/// Reads one line (up to and including LF) into `line`, keeping at most `max` bytes: a
/// longer line is consumed whole and reported as such, without growing memory.
async fn read_line<R: AsyncBufRead + Unpin>(
    reader: &mut R,
    line: &mut Vec<u8>,
    max: usize,
) -> io::Result<Line> {
    line.clear();
    let mut too_long = false;
    loop {
        let (consumed, done) = {
            let available = tokio::time::timeout(IDLE_TIMEOUT, reader.fill_buf())
                .await
                .map_err(|_| io::Error::new(io::ErrorKind::TimedOut, "idle"))??;
            if available.is_empty() {
                return Ok(Line::Eof);
            }
            let (chunk, done) = match available.iter().position(|&b| b == b'\n') {
                Some(at) => (&available[..=at], true),
                None => (available, false),
            };
            if !too_long {
                if line.len() + chunk.len() > max {
                    too_long = true;
                    line.clear();
                } else {
                    line.extend_from_slice(chunk);
                }
            }
            (chunk.len(), done)
        };
        reader.consume(consumed);
        if done {
            return Ok(if too_long {
                Line::TooLong
            } else {
                Line::Complete
            });
        }
    }
}

fn without_line_end(line: &[u8]) -> &[u8] {
    let line = line.strip_suffix(b"\n").unwrap_or(line);
    line.strip_suffix(b"\r").unwrap_or(line)
}

async fn reply(out: &mut OwnedWriteHalf, text: &str) -> io::Result<()> {
    out.write_all(format!("{text}\r\n").as_bytes()).await
}

#[derive(Default)]
struct Transaction {
    from: Option<String>,
    to: Vec<String>,
}

async fn converse(stream: TcpStream, mailbox: MockMailbox) -> io::Result<()> {
    let (read, mut out) = stream.into_split();
    let mut reader = BufReader::new(read);
    reply(
        &mut out,
        &format!("220 {HOSTNAME} ESMTP Sportello mail stand-in, demo only"),
    )
    .await?;
    let mut greeted = false;
    let mut transaction = Transaction::default();
    let mut line = Vec::new();
    loop {
        let read = match read_line(&mut reader, &mut line, MAX_COMMAND_LINE).await {
            Ok(read) => read,
            Err(e) if e.kind() == io::ErrorKind::TimedOut => {
                let _ = reply(&mut out, "421 4.4.2 Idle for too long, closing").await;
                return Ok(());
            }
            Err(e) => return Err(e),
        };
        match read {
            Line::Eof => return Ok(()),
            Line::TooLong => {
                reply(&mut out, "500 5.5.2 Line too long").await?;
                continue;
            }
            Line::Complete => {}
        }
        let command = String::from_utf8_lossy(without_line_end(&line)).into_owned();
        let (verb, argument) = match command.split_once(' ') {
            Some((verb, argument)) => (verb.to_ascii_uppercase(), argument.trim()),
            None => (command.trim().to_ascii_uppercase(), ""),
        };
        match verb.as_str() {
            "EHLO" | "HELO" => {
                if argument.is_empty() {
                    reply(&mut out, &format!("501 5.5.4 {verb} needs a domain")).await?;
                    continue;
                }
                greeted = true;
                transaction = Transaction::default();
                if verb == "EHLO" {
                    let hello = format!(
                        "250-{HOSTNAME} greets {argument}\r\n250-8BITMIME\r\n250-ENHANCEDSTATUSCODES\r\n\
                         250-PIPELINING\r\n250 SIZE {MAX_MESSAGE_BYTES}"
                    );
                    reply(&mut out, &hello).await?;
                } else {
                    reply(&mut out, &format!("250 {HOSTNAME}")).await?;
                }
            }
            "MAIL" => {
                let answer = mail(greeted, &mut transaction, argument);
                reply(&mut out, &answer).await?;
            }
            "RCPT" => {
                let answer = rcpt(&mut transaction, argument);
                reply(&mut out, &answer).await?;
            }
            "DATA" => {
                if !argument.is_empty() {
                    reply(&mut out, "501 5.5.4 DATA takes no argument").await?;
                    continue;
                }
                let Some(from) = transaction.from.clone() else {
                    reply(&mut out, "503 5.5.1 MAIL first").await?;
                    continue;
                };
                if transaction.to.is_empty() {
                    reply(&mut out, "503 5.5.1 No valid recipients (RCPT first)").await?;
                    continue;
                }
                reply(&mut out, "354 End data with <CR><LF>.<CR><LF>").await?;
                let Some(message) = read_data(&mut reader, &mut line).await? else {
                    return Ok(());
                };
                let answer = match message {
                    Data::Message(raw) => {
                        let mail = mailbox.deliver(&from, &transaction.to, raw);
                        format!("250 2.0.0 OK queued as {}", mail.id)
                    }
                    Data::TooBig => "552 5.3.4 Message too big".to_owned(),
                };
                transaction = Transaction::default();
                reply(&mut out, &answer).await?;
            }
            "RSET" => {
                if argument.is_empty() {
                    transaction = Transaction::default();
                    reply(&mut out, "250 2.0.0 OK").await?;
                } else {
                    reply(&mut out, "501 5.5.4 RSET takes no argument").await?;
                }
            }
            "NOOP" => reply(&mut out, "250 2.0.0 OK").await?,
            "QUIT" => {
                reply(
                    &mut out,
                    &format!("221 2.0.0 {HOSTNAME} closing connection"),
                )
                .await?;
                return Ok(());
            }
            "VRFY" => {
                reply(
                    &mut out,
                    "252 2.1.5 Cannot verify, but will accept the message",
                )
                .await?
            }
            "HELP" => reply(&mut out, "214 2.0.0 See RFC 5321").await?,
            "STARTTLS" | "AUTH" | "EXPN" | "TURN" | "ETRN" | "BDAT" => {
                reply(&mut out, "502 5.5.1 Command not implemented").await?
            }
            _ => reply(&mut out, "500 5.5.2 Command unrecognized").await?,
        }
    }
}

enum Data {
    Message(Vec<u8>),
    TooBig,
}

/// Reads the message after 354 up to the lone dot, undoing the dot-stuffing (RFC 5321
/// 4.5.2). Line ends are stored as CRLF whatever the client sent. `None` if the client left.
async fn read_data<R: AsyncBufRead + Unpin>(
    reader: &mut R,
    line: &mut Vec<u8>,
) -> io::Result<Option<Data>> {
    let mut message = Vec::new();
    let mut too_big = false;
    loop {
        match read_line(reader, line, MAX_DATA_LINE).await? {
            Line::Eof => return Ok(None),
            Line::TooLong => too_big = true,
            Line::Complete => {
                let content = without_line_end(line);
                if content == b"." {
                    break;
                }
                let content = content.strip_prefix(b".").unwrap_or(content);
                if message.len() + content.len() + 2 > MAX_MESSAGE_BYTES {
                    too_big = true;
                }
                if !too_big {
                    message.extend_from_slice(content);
                    message.extend_from_slice(b"\r\n");
                }
            }
        }
    }
    Ok(Some(if too_big {
        Data::TooBig
    } else {
        Data::Message(message)
    }))
}

/// `<address>` after `keyword` (`FROM:`, `TO:`), and the parameters after it.
fn parse_path<'a>(argument: &'a str, keyword: &str) -> Option<(String, Vec<&'a str>)> {
    let head = argument.get(..keyword.len())?;
    if !head.eq_ignore_ascii_case(keyword) {
        return None;
    }
    let rest = argument.get(keyword.len()..)?.trim_start();
    let rest = rest.strip_prefix('<')?;
    let (path, parameters) = rest.split_once('>')?;
    // A source route (`@relay1,@relay2:user@domain`) is obsolete; only the mailbox counts.
    let address = match path.split_once(':') {
        Some((route, address)) if route.starts_with('@') => address,
        _ => path,
    };
    if address
        .chars()
        .any(|c| c.is_whitespace() || c.is_control() || c == '<')
    {
        return None;
    }
    Some((address.to_owned(), parameters.split_whitespace().collect()))
}

fn mail(greeted: bool, transaction: &mut Transaction, argument: &str) -> String {
    if !greeted {
        return "503 5.5.1 EHLO or HELO first".to_owned();
    }
    if transaction.from.is_some() {
        return "503 5.5.1 Sender already given (RSET to start again)".to_owned();
    }
    let Some((address, parameters)) = parse_path(argument, "FROM:") else {
        return "501 5.5.4 Syntax: MAIL FROM:<address>".to_owned();
    };
    if !address.is_empty() && !address.contains('@') {
        return "501 5.1.7 Bad sender address syntax".to_owned();
    }
    for parameter in parameters {
        let (name, value) = parameter.split_once('=').unwrap_or((parameter, ""));
        match name.to_ascii_uppercase().as_str() {
            "SIZE" => match value.parse::<usize>() {
                Ok(size) if size > MAX_MESSAGE_BYTES => {
                    return "552 5.3.4 Message size exceeds fixed limit".to_owned();
                }
                Ok(_) => {}
                Err(_) => return "501 5.5.4 Bad SIZE value".to_owned(),
            },
            "BODY"
                if value.eq_ignore_ascii_case("7BIT") || value.eq_ignore_ascii_case("8BITMIME") => {
            }
            _ => return format!("555 5.5.4 Unsupported parameter {name}"),
        }
    }
    transaction.from = Some(address);
    transaction.to.clear();
    "250 2.1.0 OK".to_owned()
}

fn refused_domain(address: &str) -> bool {
    address.rsplit_once('@').is_some_and(|(_, domain)| {
        let domain = domain.trim_end_matches('.').to_ascii_lowercase();
        domain == "invalid" || domain.ends_with(".invalid")
    })
}

fn rcpt(transaction: &mut Transaction, argument: &str) -> String {
    if transaction.from.is_none() {
        return "503 5.5.1 MAIL first".to_owned();
    }
    let Some((address, parameters)) = parse_path(argument, "TO:") else {
        return "501 5.5.4 Syntax: RCPT TO:<address>".to_owned();
    };
    if !parameters.is_empty() {
        return "555 5.5.4 RCPT parameters not supported".to_owned();
    }
    let postmaster = address.eq_ignore_ascii_case("postmaster");
    if !postmaster
        && address
            .split_once('@')
            .is_none_or(|(local, domain)| local.is_empty() || domain.is_empty())
    {
        return "501 5.1.3 Bad recipient address syntax".to_owned();
    }
    if refused_domain(&address) {
        return "550 5.1.1 mailbox unavailable".to_owned();
    }
    if transaction.to.len() >= MAX_RECIPIENTS {
        return "452 4.5.3 Too many recipients".to_owned();
    }
    transaction.to.push(address);
    "250 2.1.5 OK".to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::AsyncReadExt;
    use tokio::net::tcp::OwnedReadHalf;

    struct Client {
        reader: BufReader<OwnedReadHalf>,
        writer: OwnedWriteHalf,
    }

    impl Client {
        async fn connect(addr: SocketAddr) -> Client {
            let stream = TcpStream::connect(addr).await.unwrap();
            let (read, writer) = stream.into_split();
            let mut client = Client {
                reader: BufReader::new(read),
                writer,
            };
            let greeting = client.read_reply().await;
            assert!(greeting.starts_with("220 "), "{greeting}");
            client
        }

        /// The whole reply, multi-line ones joined with newlines.
        async fn read_reply(&mut self) -> String {
            let mut lines = Vec::new();
            loop {
                let mut line = String::new();
                self.reader.read_line(&mut line).await.unwrap();
                assert!(line.ends_with("\r\n"), "{line:?}");
                let line = line.trim_end().to_owned();
                let last = line.as_bytes().get(3) != Some(&b'-');
                lines.push(line);
                if last {
                    return lines.join("\n");
                }
            }
        }

        async fn send(&mut self, text: &str) {
            self.writer.write_all(text.as_bytes()).await.unwrap();
        }

        async fn command(&mut self, line: &str) -> String {
            self.send(&format!("{line}\r\n")).await;
            self.read_reply().await
        }
    }

    async fn start() -> (SocketAddr, MockMailbox, JoinHandle<()>) {
        let mailbox = MockMailbox::new();
        let (addr, handle) = MockMailServer::start(([127, 0, 0, 1], 0).into(), mailbox.clone())
            .await
            .unwrap();
        (addr, mailbox, handle)
    }

    #[tokio::test]
    async fn a_conversation_delivers_an_unstuffed_message() {
        let (addr, mailbox, server) = start().await;
        let mut client = Client::connect(addr).await;
        let ehlo = client.command("EHLO client.example").await;
        assert!(ehlo.starts_with("250-"), "{ehlo}");
        assert!(ehlo.contains("8BITMIME"), "{ehlo}");
        assert!(
            ehlo.contains(&format!("SIZE {MAX_MESSAGE_BYTES}")),
            "{ehlo}"
        );
        assert!(
            client
                .command("MAIL FROM:<noreply@comune.example> BODY=8BITMIME")
                .await
                .starts_with("250 ")
        );
        assert!(
            client
                .command("RCPT TO:<mario@example.org>")
                .await
                .starts_with("250 ")
        );
        let refused = client.command("RCPT TO:<nobody@nowhere.invalid>").await;
        assert_eq!(refused, "550 5.1.1 mailbox unavailable");
        assert!(
            client
                .command("RCPT TO:<anna@example.org>")
                .await
                .starts_with("250 ")
        );
        assert!(client.command("DATA").await.starts_with("354 "));
        client
            .send(
                "Subject: prova\r\n\r\nprima riga\r\n..punto iniziale\r\n..\r\n\
                 ...\r\nultima, città\r\n.\r\n",
            )
            .await;
        let queued = client.read_reply().await;
        assert!(queued.starts_with("250 2.0.0 OK queued as "), "{queued}");
        assert!(client.command("QUIT").await.starts_with("221 "));

        let messages = mailbox.messages();
        assert_eq!(messages.len(), 1);
        let mail = &messages[0];
        assert!(queued.ends_with(&mail.id));
        assert_eq!(mail.envelope_from, "noreply@comune.example");
        assert_eq!(mail.envelope_to, ["mario@example.org", "anna@example.org"]);
        assert_eq!(
            String::from_utf8(mail.raw.clone()).unwrap(),
            "Subject: prova\r\n\r\nprima riga\r\n.punto iniziale\r\n.\r\n..\r\nultima, città\r\n"
        );
        assert_eq!(mail.subject.as_deref(), Some("prova"));
        assert_eq!(mailbox.messages_to("anna@example.org").len(), 1);
        assert!(mailbox.messages_to("nobody@nowhere.invalid").is_empty());
        server.abort();
    }

    #[tokio::test]
    async fn commands_out_of_sequence_are_refused() {
        let (addr, mailbox, server) = start().await;
        let mut client = Client::connect(addr).await;
        assert!(
            client
                .command("MAIL FROM:<a@example.org>")
                .await
                .starts_with("503 ")
        );
        assert!(client.command("EHLO").await.starts_with("501 "));
        assert!(
            client
                .command("HELO client.example")
                .await
                .starts_with("250 ")
        );
        assert!(
            client
                .command("RCPT TO:<b@example.org>")
                .await
                .starts_with("503 ")
        );
        assert!(client.command("DATA").await.starts_with("503 "));
        assert!(
            client
                .command("MAIL TO:<a@example.org>")
                .await
                .starts_with("501 ")
        );
        assert!(
            client
                .command("MAIL FROM:a@example.org")
                .await
                .starts_with("501 ")
        );
        assert!(
            client
                .command("MAIL FROM:<a@example.org> SIZE=999999999")
                .await
                .starts_with("552 ")
        );
        assert!(
            client
                .command("MAIL FROM:<a@example.org>")
                .await
                .starts_with("250 ")
        );
        assert!(
            client
                .command("MAIL FROM:<a@example.org>")
                .await
                .starts_with("503 ")
        );
        assert!(client.command("DATA").await.starts_with("503 "));
        assert!(
            client
                .command("RCPT TO:<not-an-address>")
                .await
                .starts_with("501 ")
        );
        assert!(
            client
                .command("RCPT TO:<x@sub.domain.INVALID.>")
                .await
                .starts_with("550 ")
        );
        assert!(
            client
                .command("RCPT TO:<Postmaster>")
                .await
                .starts_with("250 ")
        );
        assert!(client.command("RSET").await.starts_with("250 "));
        assert!(
            client
                .command("RCPT TO:<b@example.org>")
                .await
                .starts_with("503 ")
        );
        assert!(client.command("NOOP").await.starts_with("250 "));
        assert!(client.command("STARTTLS").await.starts_with("502 "));
        assert!(
            client
                .command("AUTH PLAIN AGZvbwBiYXI=")
                .await
                .starts_with("502 ")
        );
        assert!(client.command("FROB").await.starts_with("500 "));
        let long = format!("NOOP {}", "x".repeat(MAX_COMMAND_LINE));
        assert!(client.command(&long).await.starts_with("500 "));
        assert!(
            client.command("NOOP").await.starts_with("250 "),
            "the session goes on"
        );
        assert!(client.command("QUIT").await.starts_with("221 "));
        let mut rest = Vec::new();
        client.reader.read_to_end(&mut rest).await.unwrap();
        assert!(rest.is_empty(), "the server closes after QUIT");
        assert!(mailbox.is_empty());
        server.abort();
    }

    #[tokio::test]
    async fn pipelined_commands_and_bare_line_feeds_are_understood() {
        let (addr, mailbox, server) = start().await;
        let mut client = Client::connect(addr).await;
        client
            .send("EHLO c\r\nMAIL FROM:<>\r\nRCPT TO:<a@example.org>\r\nDATA\r\n")
            .await;
        assert!(client.read_reply().await.starts_with("250-"));
        assert!(client.read_reply().await.starts_with("250 "));
        assert!(client.read_reply().await.starts_with("250 "));
        assert!(client.read_reply().await.starts_with("354 "));
        client.send("Subject: lf\n\nbody\n.\n").await;
        assert!(client.read_reply().await.starts_with("250 "));
        let mail = &mailbox.messages()[0];
        assert_eq!(mail.envelope_from, "");
        assert_eq!(mail.raw, b"Subject: lf\r\n\r\nbody\r\n");
        server.abort();
    }

    #[tokio::test]
    async fn several_clients_are_served_at_once() {
        let (addr, mailbox, server) = start().await;
        // The first client stays connected mid-transaction while the others deliver.
        let mut idle = Client::connect(addr).await;
        assert!(idle.command("EHLO idle").await.starts_with("250"));
        let mut tasks = JoinSet::new();
        for n in 0..5 {
            tasks.spawn(async move {
                let mut client = Client::connect(addr).await;
                client.command("EHLO c").await;
                client.command("MAIL FROM:<a@example.org>").await;
                client
                    .command(&format!("RCPT TO:<user{n}@example.org>"))
                    .await;
                client.command("DATA").await;
                client
                    .send(&format!("Subject: {n}\r\n\r\nx\r\n.\r\n"))
                    .await;
                client.read_reply().await
            });
        }
        while let Some(reply) = tasks.join_next().await {
            assert!(reply.unwrap().starts_with("250 "));
        }
        assert_eq!(mailbox.len(), 5);
        assert!(idle.command("QUIT").await.starts_with("221"));
        server.abort();
    }

    #[tokio::test]
    async fn a_message_left_unfinished_is_not_delivered() {
        let (addr, mailbox, server) = start().await;
        let mut client = Client::connect(addr).await;
        client.command("EHLO c").await;
        client.command("MAIL FROM:<a@example.org>").await;
        client.command("RCPT TO:<b@example.org>").await;
        client.command("DATA").await;
        client.send("Subject: half\r\n\r\nno end").await;
        drop(client);
        tokio::time::sleep(Duration::from_millis(50)).await;
        assert!(mailbox.is_empty());
        server.abort();
    }
}
