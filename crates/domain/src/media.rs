//! Uploaded media, recognised by their bytes (magic numbers), never by name or declared type.

/// What an upload may be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MediaKind {
    Jpeg,
    Png,
    Webp,
    Mp4,
    Webm,
}

/// Images (products, campaigns, stores) are at most 5 MB.
pub const MAX_IMAGE_BYTES: usize = 5 * 1024 * 1024;
/// Videos (products) are at most 20 MB.
pub const MAX_VIDEO_BYTES: usize = 20 * 1024 * 1024;

impl MediaKind {
    pub fn content_type(self) -> &'static str {
        match self {
            Self::Jpeg => "image/jpeg",
            Self::Png => "image/png",
            Self::Webp => "image/webp",
            Self::Mp4 => "video/mp4",
            Self::Webm => "video/webm",
        }
    }

    pub fn extension(self) -> &'static str {
        match self {
            Self::Jpeg => "jpg",
            Self::Png => "png",
            Self::Webp => "webp",
            Self::Mp4 => "mp4",
            Self::Webm => "webm",
        }
    }

    pub fn is_image(self) -> bool {
        matches!(self, Self::Jpeg | Self::Png | Self::Webp)
    }

    /// The kind for a stored name's extension (for serving files back).
    pub fn from_extension(extension: &str) -> Option<Self> {
        [Self::Jpeg, Self::Png, Self::Webp, Self::Mp4, Self::Webm]
            .into_iter()
            .find(|kind| kind.extension() == extension)
    }
}

/// What an upload slot accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MediaSlot {
    Image,
    Video,
}

impl MediaSlot {
    pub fn max_bytes(self) -> usize {
        match self {
            Self::Image => MAX_IMAGE_BYTES,
            Self::Video => MAX_VIDEO_BYTES,
        }
    }

    pub fn accepts(self, kind: MediaKind) -> bool {
        match self {
            Self::Image => kind.is_image(),
            Self::Video => !kind.is_image(),
        }
    }
}

/// The kind of media these bytes are, if any we accept.
pub fn sniff(bytes: &[u8]) -> Option<MediaKind> {
    if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        return Some(MediaKind::Jpeg);
    }
    if bytes.starts_with(&[0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A]) {
        return Some(MediaKind::Png);
    }
    if bytes.len() >= 12 && &bytes[0..4] == b"RIFF" && &bytes[8..12] == b"WEBP" {
        return Some(MediaKind::Webp);
    }
    if bytes.len() >= 12 && &bytes[4..8] == b"ftyp" {
        return Some(MediaKind::Mp4);
    }
    if bytes.starts_with(&[0x1A, 0x45, 0xDF, 0xA3]) {
        // EBML (Matroska family): only its WebM doctype is accepted.
        let head = &bytes[..bytes.len().min(64)];
        if head.windows(4).any(|window| window == b"webm") {
            return Some(MediaKind::Webm);
        }
    }
    None
}

/// Checks an upload for a slot: the kind it is, or why not.
pub fn check_upload(slot: MediaSlot, bytes: &[u8]) -> Result<MediaKind, UploadRejection> {
    if bytes.len() > slot.max_bytes() {
        return Err(UploadRejection::TooLarge {
            max_bytes: slot.max_bytes(),
        });
    }
    match sniff(bytes) {
        Some(kind) if slot.accepts(kind) => Ok(kind),
        _ => Err(UploadRejection::UnsupportedType),
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum UploadRejection {
    #[error("the file is larger than {max_bytes} bytes")]
    TooLarge { max_bytes: usize },
    #[error("the file is not an accepted type (images: JPEG, PNG, WebP; videos: MP4, WebM)")]
    UnsupportedType,
}

#[cfg(test)]
mod tests {
    use super::*;

    const PNG: &[u8] = &[0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 13];
    const JPEG: &[u8] = &[0xFF, 0xD8, 0xFF, 0xE0, 0, 16, b'J', b'F', b'I', b'F'];

    #[test]
    fn images_and_videos_are_recognised_by_their_bytes() {
        assert_eq!(sniff(PNG), Some(MediaKind::Png));
        assert_eq!(sniff(JPEG), Some(MediaKind::Jpeg));
        assert_eq!(
            sniff(b"RIFF\x24\x00\x00\x00WEBPVP8 "),
            Some(MediaKind::Webp)
        );
        assert_eq!(
            sniff(b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00"),
            Some(MediaKind::Mp4)
        );
        assert_eq!(
            sniff(b"\x1A\x45\xDF\xA3\x9F\x42\x86\x81\x01\x42\x82\x84webm"),
            Some(MediaKind::Webm)
        );
    }

    #[test]
    fn svg_html_and_other_matroska_are_refused() {
        assert_eq!(
            sniff(b"<svg xmlns=\"http://www.w3.org/2000/svg\"></svg>"),
            None
        );
        assert_eq!(sniff(b"<!doctype html><script>alert(1)</script>"), None);
        assert_eq!(
            sniff(b"\x1A\x45\xDF\xA3\x9F\x42\x86\x81\x01\x42\x82\x88matroska"),
            None
        );
        assert_eq!(sniff(b""), None);
        assert_eq!(sniff(b"GIF89a"), None);
    }

    #[test]
    fn slots_check_kind_and_size() {
        assert_eq!(check_upload(MediaSlot::Image, PNG), Ok(MediaKind::Png));
        assert_eq!(
            check_upload(MediaSlot::Video, PNG),
            Err(UploadRejection::UnsupportedType)
        );
        let mut big = PNG.to_vec();
        big.resize(MAX_IMAGE_BYTES + 1, 0);
        assert_eq!(
            check_upload(MediaSlot::Image, &big),
            Err(UploadRejection::TooLarge {
                max_bytes: MAX_IMAGE_BYTES
            })
        );
    }
}
