//! The stdio transport: newline-delimited JSON-RPC on stdin/stdout, with every frame
//! triaged by [`super::framing`] so a frame rmcp cannot decode still gets its answer.
//!
//! Reading is bounded (a line longer than [`MAX_LINE_BYTES`] is discarded as it streams
//! past and answered with an error; memory never holds more than the limit) and safe to
//! cancel: rmcp polls `receive` inside a `select!`, so partial lines stay in the buffer
//! and a reply not yet handed to the writer stays pending for the next poll. All output
//! goes through one writer task, so a reply and a tool result never interleave bytes.

use rmcp::RoleServer;
use rmcp::model::{ClientJsonRpcMessage, ServerJsonRpcMessage};
use rmcp::transport::Transport;
use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncWrite, AsyncWriteExt, BufReader};
use tokio::sync::{mpsc, oneshot};

use super::framing::{self, Frame};

/// Longest line accepted (as rmcp's own default).
pub const MAX_LINE_BYTES: usize = 16 * 1024 * 1024;

enum Out {
    Frame(Vec<u8>),
    Flush(oneshot::Sender<()>),
}

/// Newline-delimited JSON-RPC over any reader and writer (stdin/stdout in `dana serve`).
pub struct FramedStdio<R> {
    reader: BufReader<R>,
    line: Vec<u8>,
    /// The current line passed [`MAX_LINE_BYTES`]: skip to its end, then answer.
    oversized: Option<serde_json::Value>,
    pending_reply: Option<Vec<u8>>,
    out: mpsc::Sender<Out>,
    max_line: usize,
}

impl<R: AsyncRead + Unpin + Send> FramedStdio<R> {
    /// A transport reading `read` and writing `write` (on a task of its own).
    pub fn new<W: AsyncWrite + Unpin + Send + 'static>(read: R, write: W) -> Self {
        Self::with_max_line(read, write, MAX_LINE_BYTES)
    }

    /// As [`FramedStdio::new`] with another line limit.
    pub fn with_max_line<W: AsyncWrite + Unpin + Send + 'static>(
        read: R,
        write: W,
        max_line: usize,
    ) -> Self {
        let (out, rx) = mpsc::channel(64);
        tokio::spawn(write_frames(write, rx));
        FramedStdio {
            reader: BufReader::new(read),
            line: Vec::new(),
            oversized: None,
            pending_reply: None,
            out,
            max_line,
        }
    }

    /// The next whole line (without its newline); `None` at the end of input. A final
    /// line without a newline still counts.
    async fn next_line(&mut self) -> Option<std::io::Result<Vec<u8>>> {
        loop {
            let chunk = match self.reader.fill_buf().await {
                Ok(chunk) => chunk,
                Err(e) => return Some(Err(e)),
            };
            if chunk.is_empty() {
                if self.line.is_empty() && self.oversized.is_none() {
                    return None;
                }
                return Some(Ok(std::mem::take(&mut self.line)));
            }
            let (take, done) = match chunk.iter().position(|b| *b == b'\n') {
                Some(at) => (at, true),
                None => (chunk.len(), false),
            };
            if self.oversized.is_none() {
                if self.line.len() + take > self.max_line {
                    let mut prefix = std::mem::take(&mut self.line);
                    prefix.extend_from_slice(&chunk[..take.min(4096)]);
                    self.oversized = Some(framing::scan_id(&prefix).unwrap_or_default());
                } else {
                    self.line.extend_from_slice(&chunk[..take]);
                }
            }
            let consumed = if done { take + 1 } else { take };
            self.reader.consume(consumed);
            if done {
                return Some(Ok(std::mem::take(&mut self.line)));
            }
        }
    }
}

async fn write_frames<W: AsyncWrite + Unpin>(mut write: W, mut rx: mpsc::Receiver<Out>) {
    while let Some(out) = rx.recv().await {
        match out {
            Out::Frame(mut bytes) => {
                bytes.push(b'\n');
                let written = async {
                    write.write_all(&bytes).await?;
                    write.flush().await
                };
                if let Err(e) = written.await {
                    tracing::debug!(error = %e, "stdout closed: no more output");
                    return;
                }
            }
            Out::Flush(done) => {
                if let Err(e) = write.flush().await {
                    tracing::debug!(error = %e, "stdout closed while flushing");
                }
                let _ = done.send(());
            }
        }
    }
}

impl<R: AsyncRead + Unpin + Send> Transport<RoleServer> for FramedStdio<R> {
    type Error = std::io::Error;

    fn send(
        &mut self,
        item: ServerJsonRpcMessage,
    ) -> impl Future<Output = Result<(), Self::Error>> + Send + 'static {
        let out = self.out.clone();
        async move {
            let bytes = serde_json::to_vec(&item)?;
            out.send(Out::Frame(bytes)).await.map_err(|_| closed())
        }
    }

    async fn receive(&mut self) -> Option<ClientJsonRpcMessage> {
        loop {
            if let Some(reply) = self.pending_reply.take() {
                // `reserve` can be cancelled safely; the reply stays pending until then.
                self.pending_reply = Some(reply);
                let permit = self.out.reserve().await.ok()?;
                if let Some(reply) = self.pending_reply.take() {
                    permit.send(Out::Frame(reply));
                }
            }
            let line = match self.next_line().await? {
                Ok(line) => line,
                Err(e) => {
                    tracing::error!(error = %e, "reading stdin failed");
                    return None;
                }
            };
            if let Some(id) = self.oversized.take() {
                let detail = format!("a message is at most {} bytes", self.max_line);
                self.pending_reply = Some(framing::error_reply(
                    id,
                    framing::INVALID_REQUEST,
                    "Invalid Request",
                    &detail,
                ));
                continue;
            }
            match framing::triage(&line) {
                Frame::Message(message) => return Some(*message),
                Frame::Reply(reply) => self.pending_reply = Some(reply),
                Frame::Ignore => {}
            }
        }
    }

    async fn close(&mut self) -> Result<(), Self::Error> {
        let (done, flushed) = oneshot::channel();
        if self.out.send(Out::Flush(done)).await.is_ok() {
            let _ = flushed.await;
        }
        Ok(())
    }
}

fn closed() -> std::io::Error {
    std::io::Error::new(std::io::ErrorKind::BrokenPipe, "the output is closed")
}

/// The transport `dana serve` uses.
pub type Stdio = FramedStdio<rmcp::transport::StdioReader>;

/// The process's stdin and stdout as a [`FramedStdio`] transport.
pub fn stdio() -> Stdio {
    let (read, write) = rmcp::transport::stdio_pipes();
    FramedStdio::new(read, write)
}
