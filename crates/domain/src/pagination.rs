//! List paging: `limit` (default 50, at most 200) and `offset`.

use serde::Serialize;

pub const DEFAULT_LIMIT: u32 = 50;
pub const MAX_LIMIT: u32 = 200;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageRequest {
    pub limit: u32,
    pub offset: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PageError {
    #[error("limit must be between 1 and {MAX_LIMIT}")]
    LimitOutOfRange,
}

impl PageRequest {
    /// Paging from the optional query values; a missing limit is the default.
    pub fn new(limit: Option<u32>, offset: Option<u64>) -> Result<Self, PageError> {
        let limit = limit.unwrap_or(DEFAULT_LIMIT);
        if !(1..=MAX_LIMIT).contains(&limit) {
            return Err(PageError::LimitOutOfRange);
        }
        Ok(Self {
            limit,
            offset: offset.unwrap_or(0),
        })
    }
}

impl Default for PageRequest {
    fn default() -> Self {
        Self {
            limit: DEFAULT_LIMIT,
            offset: 0,
        }
    }
}

/// One page of a list and the size of the whole list.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub total: u64,
}

impl<T> Page<T> {
    pub fn map<U>(self, f: impl FnMut(T) -> U) -> Page<U> {
        Page {
            items: self.items.into_iter().map(f).collect(),
            total: self.total,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_values_take_the_defaults() {
        assert_eq!(PageRequest::new(None, None), Ok(PageRequest::default()));
    }

    #[test]
    fn limit_is_bounded() {
        assert_eq!(
            PageRequest::new(Some(0), None),
            Err(PageError::LimitOutOfRange)
        );
        assert_eq!(
            PageRequest::new(Some(201), None),
            Err(PageError::LimitOutOfRange)
        );
        assert_eq!(
            PageRequest::new(Some(200), Some(10)),
            Ok(PageRequest {
                limit: 200,
                offset: 10
            })
        );
    }
}
