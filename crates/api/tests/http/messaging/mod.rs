//! Messaging through the API against stub Graph, Telegram and push servers: the WhatsApp
//! webhook and sending, the outbox dispatcher, Web Push and the media clean-up.

mod media_cleanup;
mod outbox;
mod web_push;
mod webhook;
mod whatsapp_sending;
