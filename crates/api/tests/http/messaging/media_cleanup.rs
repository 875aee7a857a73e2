//! The WhatsApp media clean-up: old media deleted, missing files forgotten, the rest kept, and
//! nothing done while another instance holds the lock.

use crate::builders::messaging::Stubs;

#[tokio::test]
async fn the_media_clean_up_deletes_old_media_forgets_missing_files_and_keeps_the_rest() {
    let stubs = Stubs::start().await;
    let app = stubs.app(&[("WHATSAPP_MEDIA_RETENTION_DAYS", "30")]).await;
    let owner = app.tenant_with_owner("faxina").await;
    let tenant = owner.tenant.id;
    let root = app.settings.storage.media_root.clone();
    let conversation = uuid::Uuid::now_v7();
    app.sql(&format!(
        "INSERT INTO whatsapp_conversations (id, tenant_id, customer_phone) VALUES ('{conversation}', '{tenant}', '+5511987654321')"
    ))
    .await;
    let mut keys = Vec::new();
    for (name, age_days, file_exists) in
        [("old", 45, true), ("new", 2, true), ("missing", 2, false)]
    {
        let key = format!("{tenant}/whatsapp/{name}");
        if file_exists {
            let path = root.join(&key);
            std::fs::create_dir_all(path.parent().expect("parent")).expect("dir");
            std::fs::write(&path, b"bytes").expect("file");
        }
        app.sql(&format!(
            "INSERT INTO whatsapp_messages (id, tenant_id, conversation_id, direction, kind, status, media_id, media_key, media_mime, created_at) \
             VALUES ('{}', '{tenant}', '{conversation}', 'inbound', 'image', 'delivered', 'M-{name}', '{key}', 'image/jpeg', now() - interval '{age_days} days')",
            uuid::Uuid::now_v7()
        ))
        .await;
        keys.push(key);
    }

    // While another instance holds the lock, nothing happens here.
    let database =
        comanda_postgres::Database::connect(&comanda_api::startup::database_config(&app.settings))
            .expect("pool");
    let lock = comanda_postgres::PgSingletonLock::new(database);
    let held = comanda_ports::messaging::SingletonLock::try_acquire(
        &lock,
        comanda_services::messaging::cleanup::LOCK_NAME,
    )
    .await
    .expect("lock query")
    .expect("the lock is free");
    assert_eq!(
        app.state.media_cleanup.run_once().await.expect("pass"),
        None
    );
    assert!(root.join(&keys[0]).exists());
    held.release().await;

    let report = app
        .state
        .media_cleanup
        .run_once()
        .await
        .expect("pass")
        .expect("lock taken");
    assert_eq!((report.expired, report.missing), (1, 1));
    assert!(!root.join(&keys[0]).exists(), "old media deleted");
    assert!(root.join(&keys[1]).exists(), "new media kept");
    let remaining: Vec<String> = {
        let client = app.database.as_ref().expect("database").client().await;
        client
            .query(
                "SELECT media_key FROM whatsapp_messages WHERE media_key IS NOT NULL",
                &[],
            )
            .await
            .expect("query")
            .iter()
            .map(|row| row.get(0))
            .collect()
    };
    assert_eq!(remaining, vec![keys[1].clone()]);
    let second = app
        .state
        .media_cleanup
        .run_once()
        .await
        .expect("pass")
        .expect("lock taken");
    assert_eq!((second.expired, second.missing), (0, 0));
}
