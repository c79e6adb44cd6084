-- Issue 19: browser and native apps. Public clients use the existing auth_method column
-- (`none`). `web_origins`: space-separated browser origins allowed by CORS;
-- `allow_offline_access`: a public client's grants may carry offline_access.
ALTER TABLE clients ADD COLUMN web_origins TEXT NOT NULL DEFAULT '';
ALTER TABLE clients ADD COLUMN allow_offline_access BIGINT NOT NULL DEFAULT 0;
