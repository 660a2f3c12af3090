// The data formats of clause 6 live in their own pure module (shared with the fuzz target);
// users of KeyDelivery see them as before.
@_exported import ETSI014Models
