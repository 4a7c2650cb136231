use crate::requests::{People, actor, comune, people};
use jiff::{SignedDuration, Timestamp};
use sportello_domain::TenantId;
use sportello_store::attachments::{
    AttachmentOwner, AttachmentVault, FsBlobStore, NewAttachment, Reader, StorageKey,
};
use sportello_store::{Draft, Store, StoreError, backend_tests};
use std::path::{Path, PathBuf};

backend_tests!(
    an_upload_is_stored_with_its_digest_and_read_back_by_its_owner,
    a_sensitive_upload_is_encrypted_at_rest_and_not_readable_as_a_plain_file,
    a_removed_upload_is_gone_at_once,
    a_deleted_drafts_uploads_are_purged,
    nothing_is_purged_before_its_time,
    a_file_changed_on_disk_is_refused,
    uploads_need_a_draft_of_the_uploader,
);

const ZTL: &str = "permesso-ztl";
const PDF: &[u8] = b"%PDF-1.7\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n";

pub fn vault() -> AttachmentVault<FsBlobStore> {
    let root =
        std::env::temp_dir().join(format!("sportello-blobs-{}", uuid::Uuid::now_v7().simple()));
    let key = StorageKey::from_base64(&StorageKey::random_base64().unwrap()).unwrap();
    AttachmentVault::new(FsBlobStore::new(root), key)
}

pub fn upload(spec: &str, sensitive: bool) -> NewAttachment {
    NewAttachment {
        spec_id: spec.into(),
        file_name: format!("{spec}.pdf"),
        content_type: "application/pdf".into(),
        sensitive,
    }
}

/// Every file under the blob store's folder (temporary files included).
fn files(root: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let Ok(dirs) = std::fs::read_dir(root) else {
        return found;
    };
    for dir in dirs {
        for file in std::fs::read_dir(dir.unwrap().path()).unwrap() {
            found.push(file.unwrap().path());
        }
    }
    found
}

async fn setup(store: &Store) -> (TenantId, People, Draft) {
    let tenant = comune(store, "alfa").await;
    let people = people(store, tenant).await;
    let draft = store
        .scoped(tenant)
        .create_draft(people.mario.id, ZTL, None, &actor(&people.mario))
        .await
        .unwrap();
    (tenant, people, draft)
}

async fn an_upload_is_stored_with_its_digest_and_read_back_by_its_owner(store: Store) {
    let (tenant, people, draft) = setup(&store).await;
    let scope = store.scoped(tenant);
    let vault = vault();
    let mario = people.mario.id;
    let stored = scope
        .add_attachment(
            &vault,
            draft.id,
            mario,
            &upload("libretto", false),
            PDF,
            &actor(&people.mario),
        )
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.owner, AttachmentOwner::Draft(draft.id));
    assert_eq!((stored.size, stored.sensitive), (PDF.len() as u64, false));
    assert_eq!(stored.sha256, sha256_hex(PDF));
    assert_eq!(stored.digest().sha256, stored.sha256);
    assert_eq!(
        scope.attachment(stored.id).await.unwrap(),
        Some(stored.clone())
    );
    assert_eq!(
        scope.draft_attachments(draft.id, mario).await.unwrap(),
        std::slice::from_ref(&stored)
    );
    assert!(
        scope
            .draft_attachments(draft.id, people.laura.id)
            .await
            .unwrap()
            .is_empty()
    );

    let on_disk = files(vault.blobs().root());
    assert_eq!(on_disk.len(), 1);
    assert_eq!(
        std::fs::read(&on_disk[0]).unwrap(),
        PDF,
        "plain files are kept as they are"
    );
    let name = on_disk[0].file_name().unwrap().to_str().unwrap();
    assert!(
        !name.contains("libretto"),
        "the user's file name never reaches the disk"
    );

    let read = scope
        .read_attachment(&vault, stored.id, &Reader::Owner(mario))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (read.attachment, read.bytes.as_slice()),
        (stored.clone(), PDF)
    );
    for reader in [
        Reader::Owner(people.laura.id),
        // A clerk sees files of pratiche, not of a citizen's draft.
        Reader::Clerk {
            user: people.mobility_clerk.id,
            office: "mobilita".into(),
        },
    ] {
        let refused = scope.read_attachment(&vault, stored.id, &reader).await;
        assert!(
            matches!(refused, Err(StoreError::Forbidden(_))),
            "{reader:?}: {refused:?}"
        );
    }
    let audit = scope.audit_log(1).await.unwrap();
    assert_eq!(audit[0].entry.action, "attachment.added");
    assert_eq!(audit[0].entry.details["sha256"], stored.sha256);
}

fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    sha2::Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

async fn a_sensitive_upload_is_encrypted_at_rest_and_not_readable_as_a_plain_file(store: Store) {
    let (tenant, people, draft) = setup(&store).await;
    let scope = store.scoped(tenant);
    let vault = vault();
    let mario = people.mario.id;
    let stored = scope
        .add_attachment(
            &vault,
            draft.id,
            mario,
            &upload("medical_certificate", true),
            PDF,
            &actor(&people.mario),
        )
        .await
        .unwrap()
        .unwrap();
    assert!(stored.sensitive);
    assert_eq!(
        stored.sha256,
        sha256_hex(PDF),
        "the digest is of the plain content"
    );
    let on_disk = std::fs::read(&files(vault.blobs().root())[0]).unwrap();
    assert!(
        !on_disk.windows(8).any(|w| w == &PDF[..8]),
        "stored encrypted"
    );
    assert_ne!(on_disk.len(), PDF.len());

    let refused = scope
        .read_attachment(&vault, stored.id, &Reader::Owner(mario))
        .await;
    assert!(
        matches!(refused, Err(StoreError::Forbidden(_))),
        "{refused:?}"
    );
    // Not part of a pratica yet: no office decides it, so no clerk reads it.
    let clerk = &people.social_clerk;
    let refused = scope
        .read_sensitive_attachment(
            &vault,
            stored.id,
            clerk.id,
            "sociale",
            &crate::citizens::client(),
        )
        .await;
    assert!(
        matches!(refused, Err(StoreError::Forbidden(_))),
        "{refused:?}"
    );
    let audit = scope.audit_log(1).await.unwrap();
    assert_eq!(
        (audit[0].entry.action.as_str(), audit[0].entry.actor.clone()),
        ("attachment.read_denied", format!("user:{}", clerk.id))
    );
}

async fn a_removed_upload_is_gone_at_once(store: Store) {
    let (tenant, people, draft) = setup(&store).await;
    let scope = store.scoped(tenant);
    let vault = vault();
    let mario = people.mario.id;
    let stored = scope
        .add_attachment(
            &vault,
            draft.id,
            mario,
            &upload("libretto", false),
            PDF,
            &actor(&people.mario),
        )
        .await
        .unwrap()
        .unwrap();
    assert!(
        !scope
            .remove_attachment(&vault, stored.id, people.laura.id, &actor(&people.laura))
            .await
            .unwrap()
    );
    assert_eq!(files(vault.blobs().root()).len(), 1);
    assert!(
        scope
            .remove_attachment(&vault, stored.id, mario, &actor(&people.mario))
            .await
            .unwrap()
    );
    assert!(files(vault.blobs().root()).is_empty());
    assert!(scope.attachment(stored.id).await.unwrap().is_none());
    let actions: Vec<String> = scope
        .audit_log(2)
        .await
        .unwrap()
        .into_iter()
        .map(|r| r.entry.action)
        .collect();
    assert_eq!(actions, ["attachment.purged", "attachment.removed"]);
}

async fn a_deleted_drafts_uploads_are_purged(store: Store) {
    let (tenant, people, draft) = setup(&store).await;
    let scope = store.scoped(tenant);
    let vault = vault();
    let mario = people.mario.id;
    let mut ids = Vec::new();
    for (spec, sensitive) in [("photo", false), ("medical_certificate", true)] {
        let stored = scope
            .add_attachment(
                &vault,
                draft.id,
                mario,
                &upload(spec, sensitive),
                PDF,
                &actor(&people.mario),
            )
            .await
            .unwrap()
            .unwrap();
        ids.push(stored.id);
    }
    assert!(
        scope
            .delete_draft(draft.id, mario, &actor(&people.mario))
            .await
            .unwrap()
    );
    for id in &ids {
        let orphan = scope.attachment(*id).await.unwrap().unwrap();
        assert_eq!(orphan.owner, AttachmentOwner::Nobody);
        assert!(orphan.delete_after.is_some());
    }
    assert_eq!(files(vault.blobs().root()).len(), 2);
    let purged = store
        .purge_expired_attachments(&vault, Timestamp::now())
        .await
        .unwrap();
    assert_eq!(purged, 2);
    assert!(files(vault.blobs().root()).is_empty());
    for id in &ids {
        assert!(scope.attachment(*id).await.unwrap().is_none());
    }
    let purges = scope
        .audit_log(10)
        .await
        .unwrap()
        .into_iter()
        .filter(|r| r.entry.action == "attachment.purged")
        .count();
    assert_eq!(purges, 2);
    assert_eq!(
        store
            .purge_expired_attachments(&vault, Timestamp::now())
            .await
            .unwrap(),
        0
    );
}

async fn nothing_is_purged_before_its_time(store: Store) {
    let (tenant, people, draft) = setup(&store).await;
    let scope = store.scoped(tenant);
    let vault = vault();
    let mario = people.mario.id;
    let kept = scope
        .add_attachment(
            &vault,
            draft.id,
            mario,
            &upload("libretto", false),
            PDF,
            &actor(&people.mario),
        )
        .await
        .unwrap()
        .unwrap();
    let other = scope
        .create_draft(mario, ZTL, None, &actor(&people.mario))
        .await
        .unwrap();
    scope
        .add_attachment(
            &vault,
            other.id,
            mario,
            &upload("libretto", false),
            PDF,
            &actor(&people.mario),
        )
        .await
        .unwrap()
        .unwrap();
    scope
        .delete_draft(other.id, mario, &actor(&people.mario))
        .await
        .unwrap();
    let an_hour_ago = Timestamp::now() - SignedDuration::from_hours(1);
    assert_eq!(
        store
            .purge_expired_attachments(&vault, an_hour_ago)
            .await
            .unwrap(),
        0
    );
    assert_eq!(files(vault.blobs().root()).len(), 2);
    assert_eq!(
        store
            .purge_expired_attachments(&vault, Timestamp::now())
            .await
            .unwrap(),
        1
    );
    assert!(
        scope.attachment(kept.id).await.unwrap().is_some(),
        "a draft's file has no deadline"
    );
    assert_eq!(files(vault.blobs().root()).len(), 1);
}

async fn a_file_changed_on_disk_is_refused(store: Store) {
    let (tenant, people, draft) = setup(&store).await;
    let scope = store.scoped(tenant);
    let vault = vault();
    let mario = people.mario.id;
    let stored = scope
        .add_attachment(
            &vault,
            draft.id,
            mario,
            &upload("libretto", false),
            PDF,
            &actor(&people.mario),
        )
        .await
        .unwrap()
        .unwrap();
    let path = &files(vault.blobs().root())[0];
    std::fs::write(path, b"%PDF-1.7 something else").unwrap();
    let read = scope
        .read_attachment(&vault, stored.id, &Reader::Owner(mario))
        .await;
    assert!(matches!(read, Err(StoreError::Corrupt { .. })), "{read:?}");
    std::fs::remove_file(path).unwrap();
    let read = scope
        .read_attachment(&vault, stored.id, &Reader::Owner(mario))
        .await;
    assert!(matches!(read, Err(StoreError::Blob(_))), "{read:?}");
}

async fn uploads_need_a_draft_of_the_uploader(store: Store) {
    let (tenant, people, draft) = setup(&store).await;
    let scope = store.scoped(tenant);
    let vault = vault();
    let laura = people.laura.id;
    let refused = scope
        .add_attachment(
            &vault,
            draft.id,
            laura,
            &upload("libretto", false),
            PDF,
            &actor(&people.laura),
        )
        .await
        .unwrap();
    assert!(refused.is_none());
    let beta = comune(&store, "beta").await;
    let refused = store
        .scoped(beta)
        .add_attachment(
            &vault,
            draft.id,
            people.mario.id,
            &upload("libretto", false),
            PDF,
            &actor(&people.mario),
        )
        .await
        .unwrap();
    assert!(refused.is_none());
    assert!(
        files(vault.blobs().root()).is_empty(),
        "nothing written for a refused upload"
    );
}
