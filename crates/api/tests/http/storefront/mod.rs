//! Stores, catalog, media and shipping through the API.

mod catalog;
mod catalog_cache;
mod delivery_areas;
mod demo_seed;
mod maps;
mod media;
mod shipping;
mod slots;
mod stores;
