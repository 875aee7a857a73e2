//! Checkout, orders, customers, campaigns, inventory, config and insights through the API.

mod combo;
mod customers;
mod failures;
mod inventory_and_config;
mod isolation;
mod menus_by_time;
mod orders;
mod pix;
mod pizza;
mod placing;
mod races;
mod sold_out;
mod statement;
