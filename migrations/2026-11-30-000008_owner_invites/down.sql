DROP TABLE owner_invites;
