package io.segmentd.query;

import io.segmentd.customer.Customer.CustomerView;
import io.segmentd.segmentation.Profile;
import io.segmentd.segmentation.PurchasingFamily;
import java.math.BigDecimal;
import java.time.Instant;
import java.util.List;
import java.util.Map;

/** {@code GET /v1/customers/{id}}: the profile, its segments and the values behind each. */
public record ProfileResponse(
    String customerId,
    Instant asOf,
    long eventCount,
    Instant firstSeenAt,
    Instant lastSeenAt,
    PurchasingJson purchasing,
    PurchasingFamily.Rfm rfm,
    List<String> segments,
    List<MembershipJson> memberships,
    List<String> aliases) {

  public record PurchasingJson(int orders, BigDecimal revenue, BigDecimal refunded, Instant firstOrderAt, Instant lastOrderAt) {}

  public record MembershipJson(String segment, Map<String, String> values) {}

  /** {@code aliases}: the ids merged into this customer (they answer as it). */
  public static ProfileResponse of(CustomerView view, java.util.Set<String> aliases) {
    Profile.Purchasing p = view.purchasing();
    return new ProfileResponse(
        view.customerId(),
        view.asOf(),
        view.eventCount(),
        view.firstSeenAt(),
        view.lastSeenAt(),
        new PurchasingJson(p.orders(), p.revenue(), p.refunded(), p.firstOrderAt(), p.lastOrderAt()),
        view.rfm(),
        List.copyOf(view.segments().keySet()),
        view.segments().values().stream().map(m -> new MembershipJson(m.segment(), m.values())).toList(),
        List.copyOf(new java.util.TreeSet<>(aliases)));
  }

}
