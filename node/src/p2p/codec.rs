//! The request-response codec: one length-prefixed frame per message, canonical bytes inside.
//!
//! The length (u32, big-endian) is checked against the message type's ceiling before a byte of
//! the body is read, so a peer cannot make us buffer more than one bounded message.
//!
//! A request frame that is garbage (too long, or a body that does not decode) is read as
//! [`Frame::Garbage`], not as an error: libp2p's request-response (0.30) drops a request whose
//! read failed with a debug line and never tells the behaviour who sent it, so the node could not
//! penalise the sender. A stream that merely ends early is still an error: a cut connection
//! looks the same, so it is no offence.

use std::io;
use std::marker::PhantomData;

use futures::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use libp2p::StreamProtocol;
use libp2p::request_response;
use protocol::codec::{self, Encodable};

/// A request as read off a stream: decoded, or why its frame was garbage. Only `Valid` is ever
/// written.
#[derive(Debug)]
pub enum Frame<T> {
    Valid(T),
    Garbage(io::Error),
}

/// A request-response codec for one request type and one response type.
pub struct FramedCodec<Req, Resp> {
    _types: PhantomData<fn() -> (Req, Resp)>,
}

impl<Req, Resp> Default for FramedCodec<Req, Resp> {
    fn default() -> Self {
        FramedCodec { _types: PhantomData }
    }
}

impl<Req, Resp> Clone for FramedCodec<Req, Resp> {
    fn clone(&self) -> Self {
        Self::default()
    }
}

async fn read_frame<T: Encodable, R: AsyncRead + Unpin + Send>(io: &mut R) -> io::Result<T> {
    let mut len = [0u8; 4];
    io.read_exact(&mut len).await?;
    let len = u32::from_be_bytes(len) as usize;
    if len > T::MAX_LEN {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            format!("{} frame of {len} bytes exceeds the limit of {}", T::NAME, T::MAX_LEN),
        ));
    }
    let mut buf = vec![0u8; len];
    io.read_exact(&mut buf).await?;
    codec::decode::<T>(&buf).map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))
}

/// Writes one frame; the caller encodes, so nothing borrowed is held across an await.
async fn write_frame<W: AsyncWrite + Unpin + Send>(io: &mut W, bytes: Vec<u8>) -> io::Result<()> {
    let len = u32::try_from(bytes.len())
        .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "frame larger than 4 GiB"))?;
    io.write_all(&len.to_be_bytes()).await?;
    io.write_all(&bytes).await?;
    io.close().await
}

impl<Req, Resp> request_response::Codec for FramedCodec<Req, Resp>
where
    Req: Encodable + Send + 'static,
    Resp: Encodable + Send + 'static,
{
    type Protocol = StreamProtocol;
    type Request = Frame<Req>;
    type Response = Resp;

    async fn read_request<T: AsyncRead + Unpin + Send>(
        &mut self,
        _: &StreamProtocol,
        io: &mut T,
    ) -> io::Result<Frame<Req>> {
        match read_frame(io).await {
            Ok(req) => Ok(Frame::Valid(req)),
            Err(e) if e.kind() == io::ErrorKind::InvalidData => Ok(Frame::Garbage(e)),
            Err(e) => Err(e),
        }
    }

    async fn read_response<T: AsyncRead + Unpin + Send>(
        &mut self,
        _: &StreamProtocol,
        io: &mut T,
    ) -> io::Result<Resp> {
        read_frame(io).await
    }

    async fn write_request<T: AsyncWrite + Unpin + Send>(
        &mut self,
        _: &StreamProtocol,
        io: &mut T,
        req: Frame<Req>,
    ) -> io::Result<()> {
        match req {
            Frame::Valid(req) => write_frame(io, codec::encode(&req)).await,
            Frame::Garbage(e) => Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("refusing to send a garbage request: {e}"),
            )),
        }
    }

    async fn write_response<T: AsyncWrite + Unpin + Send>(
        &mut self,
        _: &StreamProtocol,
        io: &mut T,
        resp: Resp,
    ) -> io::Result<()> {
        write_frame(io, codec::encode(&resp)).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures::io::Cursor;
    use libp2p::request_response::Codec as _;
    use protocol::ids::Height;
    use protocol::wire::{InferenceResponse, SyncRequest, SyncResponse};

    #[test]
    fn frames_round_trip_and_oversized_or_garbage_frames_are_errors() {
        futures::executor::block_on(async {
            let req = SyncRequest { from: Height(1), to: Height(9) };
            let mut out = Cursor::new(Vec::new());
            write_frame(&mut out, codec::encode(&req)).await.unwrap();
            let bytes = out.into_inner();
            let back: SyncRequest = read_frame(&mut Cursor::new(bytes.clone())).await.unwrap();
            assert_eq!(back, req);

            let mut huge = (u32::MAX).to_be_bytes().to_vec();
            huge.extend_from_slice(&[0; 16]);
            let err = read_frame::<SyncRequest, _>(&mut Cursor::new(huge)).await.unwrap_err();
            assert!(err.to_string().contains("exceeds the limit"), "{err}");

            // A well-sized frame whose body is not an inference response (bad status tag).
            let mut garbage = 16u32.to_be_bytes().to_vec();
            garbage.extend_from_slice(&[0xff; 16]);
            let err =
                read_frame::<InferenceResponse, _>(&mut Cursor::new(garbage)).await.unwrap_err();
            assert_eq!(err.kind(), io::ErrorKind::InvalidData);
            let truncated = bytes[..bytes.len() - 1].to_vec();
            assert!(read_frame::<SyncRequest, _>(&mut Cursor::new(truncated)).await.is_err());
        });
    }

    #[test]
    fn garbage_requests_are_read_as_garbage_and_cut_ones_are_errors() {
        futures::executor::block_on(async {
            let protocol = StreamProtocol::new("/tau/test/1");
            let mut c = FramedCodec::<SyncRequest, SyncResponse>::default();
            let read = |bytes: Vec<u8>| {
                let protocol = protocol.clone();
                let mut c = c.clone();
                async move { c.read_request(&protocol, &mut Cursor::new(bytes)).await }
            };
            let req = SyncRequest { from: Height(1), to: Height(9) };
            let mut good = Cursor::new(Vec::new());
            write_frame(&mut good, codec::encode(&req)).await.unwrap();
            let good = good.into_inner();
            assert!(matches!(read(good.clone()).await, Ok(Frame::Valid(r)) if r == req));

            let oversized = u32::MAX.to_be_bytes().to_vec();
            let mut trailing = good.clone();
            trailing[3] += 1;
            trailing.push(0);
            for garbage in [oversized, 0u32.to_be_bytes().to_vec(), trailing] {
                assert!(matches!(read(garbage).await, Ok(Frame::Garbage(_))));
            }
            for cut in [vec![], vec![0, 0], good[..good.len() - 1].to_vec()] {
                let err = read(cut).await.unwrap_err();
                assert_eq!(err.kind(), io::ErrorKind::UnexpectedEof);
            }
            let mut sink = Cursor::new(Vec::new());
            let refused = c
                .write_request(&protocol, &mut sink, Frame::Garbage(io::Error::other("x")))
                .await
                .unwrap_err();
            assert_eq!(refused.kind(), io::ErrorKind::InvalidInput);
            assert!(sink.into_inner().is_empty(), "nothing of a garbage request is written");
        });
    }
}
