import type { GraphQLResolveInfo } from 'graphql';
import { Args, ArgsType, Ctx, Field, ID, Info, InputType, Query, Resolver } from 'type-graphql';
import type { GatewayContext } from '../graphql/context.js';
import { AuditChainReport, AuditEvent, AuditEventPage } from '../schema/audit-event.type.js';
import { AuditAction, ResourceType } from '../schema/enums.js';
import { selectsField } from '../graphql/selection.js';
import { toAuditEventPage } from '../schema/mappers.js';
import { pageWindow } from '../store/cursor.js';
import { optionalText } from '../services/input-rules.js';
import { PageArgs } from './resource-resolver.js';

@InputType({ description: 'Narrows the audit trail.' })
class AuditEventFilter {
  @Field(() => ResourceType, { description: 'Only events of this kind of resource.', nullable: true }) resourceType?: ResourceType | null;
  @Field(() => ID, { description: 'Only events of this resource.', nullable: true }) resourceId?: string | null;
  @Field(() => String, { nullable: true, description: 'Who made the change.' }) actor?: string | null;
  @Field(() => AuditAction, { nullable: true, description: 'Only events with this action.' }) action?: AuditAction | null;
  @Field(() => Date, { nullable: true, description: 'At or after this time.' }) since?: Date | null;
  @Field(() => Date, { nullable: true, description: 'At or before this time.' }) until?: Date | null;
}

@ArgsType()
class AuditEventsArgs extends PageArgs {
  @Field(() => AuditEventFilter, { nullable: true, description: 'Narrows the list.' }) filter?: AuditEventFilter | null;
}

@Resolver(() => AuditEvent)
export class AuditEventResolver {
  @Query(() => AuditEventPage, { description: 'Who changed what, newest first.' })
  async auditEvents(@Args(() => AuditEventsArgs) args: AuditEventsArgs, @Ctx() ctx: GatewayContext, @Info() info: GraphQLResolveInfo): Promise<AuditEventPage> {
    const f = args.filter ?? {};
    const page = await ctx.store.audit.list(
      {
        sandbox: ctx.sandbox,
        resourceType: f.resourceType ?? null,
        resourceId: f.resourceId ?? null,
        actor: optionalText('filter.actor', f.actor, 200),
        action: f.action ?? null,
        since: f.since ?? null,
        until: f.until ?? null,
      },
      pageWindow(args),
      { count: selectsField(info, 'totalCount') },
    );
    return toAuditEventPage(page);
  }

  @Query(() => AuditChainReport, {
    description:
      'Seals the committed unsealed events, then recomputes the audit hash chain (all sandboxes, detached months stepped over with their recorded hashes) and reports the first broken link and any unsealed tail. For admins and auditors.',
  })
  async verifyAuditChain(@Ctx() ctx: GatewayContext): Promise<AuditChainReport> {
    await ctx.store.auditSealer.sealPending();
    const report = await ctx.store.auditChain.verify();
    return Object.assign(new AuditChainReport(), {
      ...report,
      firstBrokenSeq: report.firstBrokenSeq === null ? null : report.firstBrokenSeq.toString(),
      headSeq: report.headSeq.toString(),
    });
  }
}
