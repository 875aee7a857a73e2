use comanda_domain::pagination::PageRequest;
use serde::Deserialize;
use utoipa::IntoParams;

use crate::error::ApiError;

/// `limit` (default 50, at most 200) and `offset` of a list.
#[derive(Debug, Clone, Copy, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// Items per page: 1 to 200, default 50.
    pub limit: Option<u32>,
    /// Items to skip, default 0.
    pub offset: Option<u64>,
}

impl ListQuery {
    pub fn page(self) -> Result<PageRequest, ApiError> {
        PageRequest::new(self.limit, self.offset)
            .map_err(|error| ApiError::field("limit", error.to_string()))
    }
}
