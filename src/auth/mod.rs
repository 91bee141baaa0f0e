//! Players' identity: verifying the tokens a studio's backend signs (JWT), before a
//! socket plays as a user. The room service and the store see only the verified user id.
