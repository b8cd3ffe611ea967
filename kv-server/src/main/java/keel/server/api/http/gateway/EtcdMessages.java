package keel.server.api.http.gateway;

import com.google.protobuf.DescriptorProtos.DescriptorProto;
import com.google.protobuf.DescriptorProtos.EnumDescriptorProto;
import com.google.protobuf.DescriptorProtos.EnumValueDescriptorProto;
import com.google.protobuf.DescriptorProtos.FieldDescriptorProto;
import com.google.protobuf.DescriptorProtos.FileDescriptorProto;
import com.google.protobuf.Descriptors.Descriptor;
import com.google.protobuf.Descriptors.DescriptorValidationException;
import com.google.protobuf.Descriptors.EnumDescriptor;
import com.google.protobuf.Descriptors.FileDescriptor;
import io.etcd.jetcd.api.RangeRequest;

/**
 * etcd 3.4's messages as its gateway reads and prints them. Keel's services speak jetcd-grpc's
 * copy of {@code rpc.proto}, which lacks a few fields etcd 3.4 has; Keel carries those as unknown
 * fields with etcd's numbers (see {@code WatchStream}, {@code MaintenanceService}). The gateway must
 * still accept them by name and print them by name, so it reads and prints through a copy of
 * jetcd's descriptor with the missing fields declared. Bytes are bytes: a message converts to its
 * shape here by serializing, and back the same way, unknown fields becoming known and vice versa.
 *
 * <p>Declared here, with etcd's names, numbers and order: {@code Compare.lease} (8, in the
 * target_union oneof) and {@code CompareTarget.LEASE}; {@code WatchCreateRequest.watch_id} (7) and
 * {@code fragment} (8); {@code WatchResponse.fragment} (7, before events); {@code
 * StatusResponse.raftAppliedIndex, errors, dbSizeInUse, isLearner} (7-10); {@code AlarmType.CORRUPT};
 * and the {@code MemberPromoteRequest/Response} messages, so that a promote request is read (and
 * refused) as etcd's gateway reads it. Lease leases has its own messages in Keel (lease_leases.proto).
 */
final class EtcdMessages {
  private static final FileDescriptor JETCD_RPC = RangeRequest.getDescriptor().getFile();
  private static final FileDescriptor RPC = augment(JETCD_RPC);

  private EtcdMessages() {}

  /** The shape to read or print a message of {@code type} with: the augmented one for rpc.proto's. */
  static Descriptor shapeOf(Descriptor type) {
    if (type.getFile() != JETCD_RPC) {
      return type;
    }
    Descriptor shape = RPC.findMessageTypeByName(type.getName());
    if (shape == null) {
      throw new IllegalStateException("no augmented shape for " + type.getFullName());
    }
    return shape;
  }

  /** etcd 3.4's {@code MemberPromoteRequest}, absent from jetcd's rpc.proto. */
  static Descriptor memberPromoteRequest() {
    return RPC.findMessageTypeByName("MemberPromoteRequest");
  }

  /**
   * The Go type name jsonpb names an enum by in its errors ({@code
   * etcdserverpb.RangeRequest_SortOrder}): the proto package, then the nested names joined by '_'.
   */
  static String goName(EnumDescriptor type) {
    String pkg = type.getFile().getPackage();
    String nested = type.getFullName().substring(pkg.isEmpty() ? 0 : pkg.length() + 1);
    return pkg + "." + nested.replace('.', '_');
  }

  private static FileDescriptor augment(FileDescriptor jetcd) {
    FileDescriptorProto.Builder file = jetcd.toProto().toBuilder();

    DescriptorProto.Builder compare = message(file, "Compare");
    compare.addField(indexOf(compare, "value") + 1,
        field("lease", 8, FieldDescriptorProto.Type.TYPE_INT64).setOneofIndex(0));
    for (EnumDescriptorProto.Builder target : compare.getEnumTypeBuilderList()) {
      if (target.getName().equals("CompareTarget")) {
        target.addValue(EnumValueDescriptorProto.newBuilder().setName("LEASE").setNumber(4));
      }
    }

    DescriptorProto.Builder create = message(file, "WatchCreateRequest");
    create.addField(field("watch_id", 7, FieldDescriptorProto.Type.TYPE_INT64));
    create.addField(field("fragment", 8, FieldDescriptorProto.Type.TYPE_BOOL));

    DescriptorProto.Builder watchResponse = message(file, "WatchResponse");
    watchResponse.addField(indexOf(watchResponse, "events"),
        field("fragment", 7, FieldDescriptorProto.Type.TYPE_BOOL));

    DescriptorProto.Builder status = message(file, "StatusResponse");
    status.addField(field("raftAppliedIndex", 7, FieldDescriptorProto.Type.TYPE_UINT64));
    status.addField(field("errors", 8, FieldDescriptorProto.Type.TYPE_STRING)
        .setLabel(FieldDescriptorProto.Label.LABEL_REPEATED));
    status.addField(field("dbSizeInUse", 9, FieldDescriptorProto.Type.TYPE_INT64));
    status.addField(field("isLearner", 10, FieldDescriptorProto.Type.TYPE_BOOL));

    for (EnumDescriptorProto.Builder alarm : file.getEnumTypeBuilderList()) {
      if (alarm.getName().equals("AlarmType")) {
        alarm.addValue(EnumValueDescriptorProto.newBuilder().setName("CORRUPT").setNumber(2));
      }
    }

    file.addMessageType(DescriptorProto.newBuilder().setName("MemberPromoteRequest")
        .addField(field("ID", 1, FieldDescriptorProto.Type.TYPE_UINT64)));
    file.addMessageType(DescriptorProto.newBuilder().setName("MemberPromoteResponse")
        .addField(field("header", 1, FieldDescriptorProto.Type.TYPE_MESSAGE)
            .setTypeName(".etcdserverpb.ResponseHeader"))
        .addField(field("members", 2, FieldDescriptorProto.Type.TYPE_MESSAGE)
            .setTypeName(".etcdserverpb.Member").setLabel(FieldDescriptorProto.Label.LABEL_REPEATED)));

    try {
      return FileDescriptor.buildFrom(file.build(), jetcd.getDependencies().toArray(FileDescriptor[]::new));
    } catch (DescriptorValidationException e) {
      throw new IllegalStateException("etcd 3.4's additions to jetcd's rpc.proto do not build", e);
    }
  }

  private static DescriptorProto.Builder message(FileDescriptorProto.Builder file, String name) {
    for (DescriptorProto.Builder message : file.getMessageTypeBuilderList()) {
      if (message.getName().equals(name)) {
        return message;
      }
    }
    throw new IllegalStateException("jetcd's rpc.proto has no " + name);
  }

  private static int indexOf(DescriptorProto.Builder message, String field) {
    for (int i = 0; i < message.getFieldCount(); i++) {
      if (message.getField(i).getName().equals(field)) {
        return i;
      }
    }
    throw new IllegalStateException("jetcd's " + message.getName() + " has no field " + field);
  }

  private static FieldDescriptorProto.Builder field(String name, int number, FieldDescriptorProto.Type type) {
    return FieldDescriptorProto.newBuilder().setName(name).setNumber(number).setType(type)
        .setLabel(FieldDescriptorProto.Label.LABEL_OPTIONAL);
  }
}
